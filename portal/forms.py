"""The base form: CSRF on every form, with a plain message when the token is missing or stale."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

CSRF_MESSAGE = _l(
    "This form had expired, so nothing was saved. Check your answers and submit again."
)


class BaseForm(FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        is_valid = super().validate(extra_validators=extra_validators)
        if "csrf_token" in self.errors:
            # The user's input stays in the form; only the token was rejected.
            self.csrf_token.errors = [CSRF_MESSAGE]
        return is_valid

    @property
    def error_fields(self) -> list:
        """Fields with errors, in page order, for the error summary."""
        return [field for field in self if field.errors]


class ConfirmForm(BaseForm):
    """A form with no fields: for POST buttons (sign out, remove, stop)."""
