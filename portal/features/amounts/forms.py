from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField
from wtforms.validators import DataRequired, InputRequired

from portal.web.forms import BaseForm, SelectChoice


class PayOnForm(BaseForm):
    """The calculator: a GET form, so it needs no CSRF token."""

    class Meta:
        csrf = False

    pay_on = DateField(
        _l("Payment date"),
        description=_l("For example 2022-11-10"),
        validators=[
            DataRequired(_l("Enter the payment date as year-month-day, for example 2022-11-10"))
        ],
    )


class DepartureForm(BaseForm):
    person_ref = SelectField(
        _l("Insured person"), validators=[InputRequired(_l("Choose the insured person"))]
    )
    reason = SelectField(
        _l("What happened"),
        choices=[
            SelectChoice("leave", _l("Left the employer")),
            SelectChoice("retire", _l("Retired")),
            SelectChoice("transfer", _l("Transferred to another insurance region")),
        ],
    )
    left_on = DateField(
        _l("Date"),
        description=_l("For example 2022-08-20"),
        validators=[DataRequired(_l("Enter the date as year-month-day, for example 2022-08-20"))],
    )
    correct = BooleanField(_l("This corrects the departure already recorded for this person"))
