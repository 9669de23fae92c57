"""Forms (Flask-WTF): each carries its CSRF token; validation messages are translated."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange

from console.models.users import Role
from console.web.i18n import ROLE_NAMES

ROLE_CHOICES = [SelectChoice(r.value, ROLE_NAMES[r.value]) for r in Role]


class ActionForm(FlaskForm):
    """A button that changes state: nothing but the CSRF token."""


def form_posted() -> bool:
    """The one "form expired" handler: True when the posted form's CSRF token holds, else False with the message
    flashed (the caller redirects, or answers 400, where it stands)."""
    if ActionForm().validate_on_submit():
        return True
    flash(form_expired(), "error")
    return False


def form_expired() -> str:
    return _("The form expired. Try again.")


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)])
    display_name = StringField(_l("Full name"), validators=[Length(max=128)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=128)])
    role = SelectField(_l("Role"), choices=[SelectChoice("", "—"), *ROLE_CHOICES])
    days = IntegerField(_l("Valid for (days)"), default=90, validators=[NumberRange(min=1, max=3650)])


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")])


class JobLaunchForm(FlaskForm):
    """Choices for `playbook` are the files of [jobs] playbooks_dir, set by the view."""

    playbook = SelectField(_l("Playbook"), choices=[], validators=[DataRequired()])
    limit = StringField(_l("Limit (host pattern)"), validators=[Length(max=1024)])
    tags = StringField(_l("Tags"), validators=[Length(max=1024)])
    check = BooleanField(_l("Check mode (change nothing)"))
    extra_vars = TextAreaField(_l("Extra variables (name=value, one per line)"), validators=[Length(max=65536)])
    secret_vars = TextAreaField(_l("Secret variables (name=value, one per line; never stored or shown)"),
                                validators=[Length(max=65536)])
