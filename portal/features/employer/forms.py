from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.features.reminders.forms import email_field
from portal.web.forms import BaseForm


class InviteForm(BaseForm):
    email = email_field(
        _l("Their e-mail address (optional)"),
        _l("For reminders: they confirm it by a link once their account is made"),
    )
