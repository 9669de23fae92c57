"""Users and roles (admin); auditors may look."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from console.access import tokens
from console.access import users
from console.web.auth import current_actor, permission_required
from console.web.forms import ActionForm, RoleForm, UserCreateForm
from console.web.runtime import db, settings

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("/")
@permission_required("users.view")
def index():
    return render_template("users/index.html", users=users.list_users(db(), current_actor()),
                           form=ActionForm(), role_form=RoleForm())


@bp.route("/new", methods=["GET", "POST"])
@permission_required("users.manage")
def create():
    form = UserCreateForm()
    if not form.validate_on_submit():
        return render_template("users/new.html", form=form), (400 if form.is_submitted() else 200)
    user, password = users.create_user(db(), current_actor(), settings().security, form.username.data,
                                       form.role.data, display_name=form.display_name.data or "")
    return render_template("users/created.html", user=user, password=password)


@bp.post("/<username>/disable")
@permission_required("users.manage")
def disable(username: str):
    return _change(username, lambda: users.set_active(db(), current_actor(), username, False), _("User disabled."))


@bp.post("/<username>/enable")
@permission_required("users.manage")
def enable(username: str):
    return _change(username, lambda: users.set_active(db(), current_actor(), username, True), _("User enabled."))


@bp.post("/<username>/role")
@permission_required("users.manage")
def change_role(username: str):
    form = RoleForm()
    return _change(username, lambda: users.set_role(db(), current_actor(), username, form.role.data),
                   _("Role changed."), form)


@bp.post("/<username>/reset-password")
@permission_required("users.manage")
def reset_password(username: str):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("users.index"))
    password = users.reset_password(db(), current_actor(), settings().security, username)
    return render_template("users/created.html", user=users.get_user(db(), username), password=password)


@bp.get("/tokens")
@permission_required("users.manage")
def all_tokens():
    return render_template("users/tokens.html", tokens=tokens.list_tokens(db(), current_actor(), everyone=True),
                           form=ActionForm())


def _change(username, action, message, form=None):
    form = form or ActionForm()
    if form.validate_on_submit():
        action()
        flash(message, "success")
    return redirect(url_for("users.index"))
