from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.web.forms import BaseForm


class DoneForm(BaseForm):
    reference = StringField(
        _l("The bureau's or bank's reference"),
        description=_l("The voucher or transaction number of the refund or offset, as recorded."),
        validators=[
            DataRequired(_l("Enter the bureau's or bank's reference for what was done")),
            Length(max=60, message=_l("The reference must be 60 characters or fewer")),
        ],
    )
