from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.web.forms import BaseForm


class ResolveForm(BaseForm):
    """A queue item's resolution: the note."""

    note = TextAreaField(
        _l("Note"),
        description=_l(
            "What was done or found: refunded, carried to a later month, the assessment "
            "corrected… Kept with the item and in the audit log."
        ),
        validators=[
            DataRequired(_l("Enter a note saying how the difference was dealt with")),
            Length(max=2000, message=_l("The note must be 2,000 characters or fewer")),
        ],
    )
