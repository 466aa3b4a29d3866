from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.web.forms import BaseForm


class RejectForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for rejecting"),
        description=_l("The employer reads this. Say what is wrong and what to correct."),
        validators=[
            DataRequired(_l("Enter the reason: the employer needs it to correct the application")),
            Length(max=2000, message=_l("The reason must be 2,000 characters or fewer")),
        ],
    )
