"""Log in, log out, choose a language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from console.access import audit, sessions, users
from console.access.directory.accounts import DirectorySignIn
from console.access.users import LoginOutcome
from console.web import metrics
from console.web.auth import SESSION_KEY, client_addr, current_actor
from console.web.forms import ActionForm, LanguageForm, LoginForm
from console.web.unit_of_work import keep_on_error
from console.web.runtime import db, settings

bp = Blueprint("auth", __name__)

MESSAGES = {
    LoginOutcome.invalid: lambda minutes: _("Wrong user name or password."),
    # the same for a name that exists and one that does not: the answer tells nothing about accounts
    LoginOutcome.locked: lambda minutes: _("Too many failed logins for this user name from your address. "
                                           "Try again in %(minutes)s min.", minutes=minutes),
    LoginOutcome.throttled: lambda minutes: _("Too many failed logins from your address. Try again in %(minutes)s min.",
                                              minutes=minutes),
    LoginOutcome.refused: lambda minutes: _("Your directory account is in no group that gives a role in this console. "
                                            "Ask an administrator to add you to one of the console's groups."),
    LoginOutcome.unreachable: lambda minutes: _("The directory is unreachable, so directory accounts cannot sign in "
                                                "now. Local accounts still can."),
}
STATUS = {LoginOutcome.invalid: 401, LoginOutcome.refused: 403, LoginOutcome.unreachable: 503}


def _directory():
    """The directory sign-in when [auth.ldap] is enabled, else None (local accounts only)."""
    config = settings().auth.ldap
    return DirectorySignIn(config) if config.enabled else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("overview.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, language_form=LanguageForm())
    result = users.authenticate(db(), settings().security, form.username.data, form.password.data, client_addr(),
                                directory=_directory())
    keep_on_error()  # failures, lock-outs and successes are all kept
    metrics.LOGINS.labels(outcome=result.outcome.value).inc()
    if result.outcome != LoginOutcome.ok:
        flash(MESSAGES[result.outcome](max(1, -(-result.retry_after_seconds // 60))), "error")
        page = render_template("auth/login.html", form=form, language_form=LanguageForm())
        if result.outcome in STATUS:
            return page, STATUS[result.outcome]
        return page, 429, {"Retry-After": str(result.retry_after_seconds)}
    session.clear()
    login_user(result.user)
    session.permanent = True
    session[SESSION_KEY] = sessions.open_session(db(), result.user, client_addr(), request.user_agent.string,
                                                 settings().console.session_lifetime_minutes)
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
    sessions.close(db(), session.get(SESSION_KEY))  # a copy of the cookie no longer opens anything
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
