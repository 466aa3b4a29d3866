"""The base form: CSRF on every form, with a plain message when the token is missing or stale.

Every form also refuses a part of the wrong kind (a file where text is expected, text where a
file is expected: ``curl -F email=@any.txt``) as an error on that field, never handing it to
a validator; refuses control characters and text-direction overrides in what was typed
(``portal.util.text``), refuses text longer than the field keeps (its ``Length(max=...)``, else
``LINE_MAX`` or ``TEXT_MAX``: never cut silently), and holds only what was submitted: a
field missing from the request (a page from before a change, a hand-made request) is empty,
not the stored value it was given.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TypeVar

from flask import current_app, g, session
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF, generate_csrf
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import BooleanField, Field, FileField, PasswordField, TextAreaField

# WTForms 3.3's choice of a SelectField, for every form here; types-WTForms (3.2) lacks it.
from wtforms.fields.choices import SelectChoice as SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Length, StopValidation
from wtforms.widgets import HiddenInput

from portal.util.text import forbidden_character
from portal.web.submissions import key_input

CSRF_MESSAGE = _l(
    "This form had expired, so nothing was saved. Check your answers and submit again."
)
CONTROL_MESSAGE = _l(
    "Remove the invisible control or text-direction character (it often comes with pasted "
    "text), then submit again"
)

WRONG_FILE_MESSAGE = _l("Enter this on the page itself: a file cannot be sent in its place")
WRONG_TEXT_MESSAGE = _l("Choose a file to upload here: text cannot be sent in its place")


# The most a field keeps when it declares no Length(max=...) of its own: a line is as long as
# the longest name or address column (employers.name, 200), a text area as a review reason.
LINE_MAX = 200
TEXT_MAX = 2000


def text_limit(field) -> int:
    """The most characters ``field`` keeps: its own ``Length(max=...)``, else the default."""
    declared = [v.max for v in field.validators if isinstance(v, Length) and v.max >= 0]
    if declared:
        return min(declared)
    return TEXT_MAX if isinstance(field, TextAreaField) else LINE_MAX


def refuse_long_text(form, field) -> None:
    """Stop validating a field whose submitted text is longer than it keeps, saying the limit."""
    limit = text_limit(field)
    for value in field.raw_data or ():
        if isinstance(value, str) and len(value) > limit:
            field.errors[:] = []
            raise StopValidation(
                _(
                    "Enter at most %(limit)s characters (this has %(count)s)",
                    limit=format_number(limit),
                    count=format_number(len(value)),
                )
            )


def refuse_control_characters(form, field) -> None:
    """Stop validating a field whose text holds a character ``portal.util.text`` refuses."""
    multiline = isinstance(field, TextAreaField)
    for value in field.raw_data or ():
        if isinstance(value, str) and forbidden_character(value, multiline=multiline):
            field.errors[:] = []
            raise StopValidation(CONTROL_MESSAGE)


def parts_of_their_kind(form, formdata):
    """``formdata`` with only the parts a field of ``form`` can read: files for its file fields,
    text for the others; the names of the fields sent something else in ``form.wrong_parts``.

    A text field handed a ``FileStorage`` (or a JSON body's number or list) would reach its
    validators and the view, which expect ``str``; a file field handed text, the upload checks.
    """
    form.wrong_parts = set()
    if formdata is None:
        return None
    file_names = {field.name for field in form if isinstance(field, FileField)}
    kept: MultiDict = MultiDict()
    for name, values in formdata.lists():
        wanted = FileStorage if name in file_names else str
        for value in values:
            if isinstance(value, wanted):
                kept.add(name, value)
            else:
                form.wrong_parts.add(name)
    return kept


def refuse_wrong_part(form, field) -> None:
    """Stop validating a field that was sent a file for text, or text for a file."""
    field.errors[:] = []
    raise StopValidation(WRONG_TEXT_MESSAGE if isinstance(field, FileField) else WRONG_FILE_MESSAGE)


# Fields whose submitted values are not text kept by the portal: a password is only hashed,
# a file is checked by its own rules, and a check box is on or off.
_NOT_TEXT = (PasswordField, FileField, BooleanField)


def csrf_token() -> str:
    """The request's signed CSRF token: ``flask_wtf.csrf.generate_csrf``, signed once per
    session token in this worker instead of once per request.

    The session keeps a random token; a form carries it signed (itsdangerous: a derived key, an
    HMAC, a timestamp), which costs about as much as the rest of a page's header
    (bench/profile_pages.py). Tokens here live as long as the session (``WTF_CSRF_TIME_LIMIT``
    is None), so the timestamp is never checked and the first signature stays valid; a new
    session (sign-in, sign-out) has a new token and so a new signature. With a time limit set,
    every request signs anew, as Flask-WTF does. Templates call this as ``csrf_token()``.
    """
    token = g.get("csrf_token")
    if token is not None:
        return token
    config = current_app.config
    if config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None:
        return generate_csrf()
    raw = session.get("csrf_token")
    if not isinstance(raw, str):
        generate_csrf()  # makes the session's token; signed once more below, to be kept
        raw = session["csrf_token"]
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    token = g.csrf_token = _signed(secret, raw)  # where generate_csrf keeps it, too
    return token


@lru_cache(maxsize=4096)
def _signed(secret: str | bytes, raw: str) -> str:
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


class _KeptCSRF(_FlaskFormCSRF):
    """Flask-WTF's form CSRF, with the token from :func:`csrf_token`."""

    def generate_csrf_token(self, csrf_token_field) -> str:
        return csrf_token()

    def setup_form(self, form):
        fields = super().setup_form(form)
        for _name, unbound in fields:  # the form's key rides with its token (web/submissions)
            unbound.kwargs["widget"] = _token_and_form_key
        return fields


def _token_and_form_key(field, **kwargs) -> Markup:
    """The CSRF token's hidden field, and a new key for this rendering of the form."""
    return HiddenInput()(field, **kwargs) + key_input()


class BaseForm(FlaskForm):
    wrong_parts: set[str]

    class Meta:
        csrf_class = _KeptCSRF

        def wrap_formdata(self, form, formdata):
            return parts_of_their_kind(form, FlaskForm.Meta.wrap_formdata(self, form, formdata))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            if isinstance(field, _NOT_TEXT) or field.type == "CSRFTokenField":
                continue
            # Checked first, so that no other validator (or query) sees the text.
            field.validators = [refuse_control_characters, refuse_long_text, *field.validators]
            if field.raw_data == []:  # submitted without this field
                field.data = None
        self._refuse_wrong_parts()

    def _refuse_wrong_parts(self) -> None:
        """Make a part of the wrong kind the first error of its field (the part was dropped)."""
        for field in self:
            if field.name in self.wrong_parts and field.type != "CSRFTokenField":
                field.validators = [refuse_wrong_part, *field.validators]

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


_T = TypeVar("_T")


def entered(data: _T | None) -> _T:
    """The data of a field that its validators require (``DataRequired``, ``InputRequired``),
    read once its form has validated, when it is never None.

    :raise ValueError: it is None: the field was read before its form validated.
    """
    if data is None:
        raise ValueError("a required field was read before its form validated")
    return data


def add_error(field: Field, message: str) -> None:
    """Put ``message`` beside ``field`` (its errors are a tuple until its form validates)."""
    field.errors = [*field.errors, message]


class ConfirmForm(BaseForm):
    """A form with no fields: for POST buttons (sign out, remove, stop)."""
