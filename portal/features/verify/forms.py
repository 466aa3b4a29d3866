from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import StringField

from portal.web.forms import BaseForm


class UploadForm(BaseForm):
    pdf = FileField(
        _l("Check a PDF against the stored letter"),
        description=_l(
            "Choose the PDF you were given. We compare it byte for byte with the "
            "letter we issued; the file is not kept."
        ),
    )


class LookupForm(BaseForm):
    code = StringField(
        _l("Verification code"),
        description=_l("As printed on the letter, for example 7K3M-Q9TX-2B8D-WZ4R-H6NP"),
    )
