from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from portal.web.forms import BaseForm, SelectChoice


class EmployerFactsForm(BaseForm):
    """The facts agency staff correct by hand, as the list import gives them (its cells'
    parsers and checks, portal/features/staff/operations.py)."""

    has_arrears = RadioField(
        _l("Interrupted payment (是否中断缴费)"),
        choices=[SelectChoice("yes", _l("Yes: in arrears")), SelectChoice("no", _l("No"))],
        validators=[InputRequired(_l("Choose whether the employer is in arrears"))],
    )
    arrears_until = StringField(
        _l("Last month in arrears (欠费所属期止)"),
        description=_l("YYYY-MM, e.g. 2022-06. Leave blank when not known or not in arrears."),
        validators=[Optional(), Length(max=7, message=_l("Enter the month as YYYY-MM"))],
    )
    deregistered_on = StringField(
        _l("Deregistration date (注销日期)"),
        description=_l("YYYY-MM-DD. Leave blank unless the employer deregisters."),
        validators=[Optional(), Length(max=10, message=_l("Enter the date as YYYY-MM-DD"))],
    )
    refund_bank = StringField(
        _l("Bank for refunds (退费开户行)"),
        validators=[
            Optional(),
            Length(max=100, message=_l("Enter the bank in 100 characters or fewer")),
        ],
    )
    refund_account = StringField(
        _l("Account number for refunds (退费账号)"),
        description=_l("Digits; spaces between groups are fine."),
        validators=[Optional(), Length(max=40, message=_l("Enter at most 40 characters"))],
    )
    reason = TextAreaField(
        _l("Why are you changing these facts?"),
        description=_l("Kept in the audit log with the values before and after."),
        validators=[
            DataRequired(_l("Say why you are changing these facts")),
            Length(max=500, message=_l("Say why in 500 characters or fewer")),
        ],
    )
    # The stored facts the form was shown with (``operations.facts_fingerprint``).
    seen = HiddenField(
        validators=[InputRequired(), Regexp(r"^[0-9a-f]{16}$", message=_l("Submit the form again"))]
    )
