from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.web.forms import BaseForm, SelectChoice


class DecideForm(BaseForm):
    decision = RadioField(
        _l("Your decision"),
        choices=[
            SelectChoice("accept", _l("Accept: apply the change to the employer")),
            SelectChoice("reject", _l("Reject: keep the employer's stored value")),
        ],
        validators=[InputRequired(_l("Choose whether to accept or reject the change"))],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l(
            "Kept with the change and in the audit log. An employer whose deferral ends reads it."
        ),
        validators=[
            DataRequired(_l("Enter the reason for your decision: it is kept with the change")),
            Length(max=2000, message=_l("The reason must be 2,000 characters or fewer")),
        ],
    )
