"""Log in, log out, choose a language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from console.access import audit
from console.access import users
from console.access.users import LoginOutcome
from console.web import metrics
from console.web.auth import client_addr, current_actor
from console.web.forms import ActionForm, LanguageForm, LoginForm
from console.web.unit_of_work import keep_on_error
from console.web.runtime import db, settings

bp = Blueprint("auth", __name__)

MESSAGES = {
    LoginOutcome.invalid: lambda: _("Wrong user name or password."),
    LoginOutcome.locked: lambda: _("This account is locked after too many failed logins. Try again later."),
    LoginOutcome.throttled: lambda: _("Too many failed logins from your address. Try again later."),
}


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("overview.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, language_form=LanguageForm())
    result = users.authenticate(db(), settings().security, form.username.data, form.password.data, client_addr())
    keep_on_error()  # failures, lock-outs and successes are all kept
    metrics.LOGINS.labels(outcome=result.outcome.value).inc()
    if result.outcome != LoginOutcome.ok:
        status = 429 if result.outcome == LoginOutcome.throttled else 401
        flash(MESSAGES[result.outcome](), "error")
        return render_template("auth/login.html", form=form, language_form=LanguageForm()), status
    session.clear()
    login_user(result.user)
    session.permanent = True
    return redirect(_safe_next(request.args.get("next")))


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login form cannot redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("overview.index")


@bp.post("/logout")
def logout():
    if ActionForm().validate_on_submit():
        audit.record(db(), current_actor(), "logout", "user", current_user.username)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        users.set_locale(db(), current_actor(), form.locale.data)
    return redirect(_safe_next(request.referrer and urlsplit(request.referrer).path))


@bp.post("/login/language")
def set_language_anonymous():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
    return redirect(url_for("auth.login"))
