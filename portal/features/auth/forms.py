from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from portal.features.auth.passwords import MIN_LENGTH
from portal.features.reminders.forms import email_field
from portal.web.forms import BaseForm


class LoginForm(BaseForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username"))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password"))])


class ActivateForm(BaseForm):
    credit_code = StringField(
        _l("Unified social credit code"),
        description=_l("18 characters, as on the business licence"),
        validators=[DataRequired(_l("Enter the 18-character unified social credit code"))],
    )
    code = StringField(
        _l("Activation code"),
        description=_l("The code the service hall gave you, for example ABCD-EFGH-JKLM-NPQR"),
        validators=[DataRequired(_l("Enter the activation code"))],
    )
    display_name = StringField(
        _l("Your full name"),
        validators=[
            DataRequired(_l("Enter your full name")),
            Length(max=100, message=_l("Your name must be 100 characters or fewer")),
        ],
    )
    username = StringField(
        _l("Choose a username"),
        description=_l("Letters, digits, dots, dashes and underscores, 3 to 40 characters"),
        validators=[
            DataRequired(_l("Choose a username")),
            Regexp(
                r"^[A-Za-z0-9._-]{3,40}$",
                message=_l("Use 3 to 40 letters, digits, dots, dashes or underscores"),
            ),
        ],
    )
    email = email_field(
        _l("Your e-mail address (optional)"),
        _l("For reminders before deadlines. We send a link there first to confirm it"),
    )
    password = PasswordField(
        _l("Choose a password"),
        description=_l("At least %(n)d characters", n=MIN_LENGTH),
        validators=[
            DataRequired(_l("Choose a password")),
            Length(min=MIN_LENGTH, message=_l("Use at least %(n)d characters", n=MIN_LENGTH)),
        ],
    )
    password_confirm = PasswordField(
        _l("Type the password again"),
        validators=[
            DataRequired(_l("Type the password again")),
            EqualTo("password", message=_l("The two passwords are not the same")),
        ],
    )

    def validate_credit_code(self, field) -> None:
        from portal.rules import InvalidCreditCode, parse_uscc

        try:
            field.data = parse_uscc(field.data).code
        except InvalidCreditCode as error:
            raise ValidationError(credit_code_message(error)) from error


def credit_code_message(error: Exception) -> str:
    """Translate a credit-code error from the rules core into the user's language."""
    from flask_babel import gettext as _

    code = getattr(error, "code", "")
    if code == "wrong_length":
        return _("Enter all 18 characters of the unified social credit code")
    if code == "bad_character":
        return _(
            "The code has a character that never appears in credit codes (I, O, Z, S or V)."
            " Check the licence and type it again"
        )
    if code == "bad_check":
        return _(
            "The last character does not match the others: this is probably a typo."
            " Check the code on the licence"
        )
    return _("Enter a valid 18-character unified social credit code")
