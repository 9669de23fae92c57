"""The user's own page: password, API tokens and the browser sessions open in the user's name."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _

from console.access import sessions, tokens
from console.access import users
from console.access.permissions import allowed
from console.web.auth import SESSION_KEY, current_actor, permission_required
from console.web.forms import ActionForm, PasswordChangeForm, TokenForm
from console.web.runtime import db, settings

bp = Blueprint("profile", __name__, url_prefix="/profile")


def _page(password_form=None, token_form=None, new_token=None, status=200):
    actor = current_actor()
    own_tokens = tokens.list_tokens(db(), actor) if allowed(actor.role, "tokens.manage") else []
    return render_template(
        "profile/index.html",
        password_form=password_form or PasswordChangeForm(),
        token_form=token_form or TokenForm(),
        tokens=own_tokens,
        new_token=new_token,
        sessions=sessions.list_live(db(), actor.user_id),
        current_session=lambda row: sessions.is_current(row, session.get(SESSION_KEY)),
        form=ActionForm(),
    ), status


@bp.get("/")
def index():
    return _page()


@bp.post("/password")
def change_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _page(password_form=form, status=400)
    users.change_own_password(db(), current_actor(), settings().security, form.current_password.data,
                              form.new_password.data)
    flash(_("Password changed. Log in again with the new password."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/tokens")
@permission_required("tokens.manage")
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(token_form=form, status=400)
    _row, token = tokens.create_token(db(), current_actor(), form.name.data, form.role.data or None,
                                      form.days.data, max_live=settings().security.max_tokens_per_user)
    return _page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    if ActionForm().validate_on_submit():
        tokens.revoke_token(db(), current_actor(), token_id)
        flash(_("Token revoked."), "success")
    return redirect(url_for("profile.index"))


@bp.post("/sessions/<int:session_id>/end")
def end_session(session_id: int):
    """End one of the user's own sessions (another browser, a lost laptop); the server refuses it from now on."""
    if ActionForm().validate_on_submit():
        sessions.revoke(db(), current_actor(), session_id)
        flash(_("Session ended."), "success")
    return redirect(url_for("profile.index"))
