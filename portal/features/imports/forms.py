from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Regexp

from portal.labels.codes import IMPORT_KINDS
from portal.web.forms import BaseForm, SelectChoice


class ImportForm(BaseForm):
    kind = SelectField(
        _l("What the file holds"),
        choices=[SelectChoice(key, label) for key, label in IMPORT_KINDS.items()],
        validators=[DataRequired(_l("Choose what the file holds"))],
    )
    file = FileField(
        _l("File"),
        description=_l(
            "CSV (UTF-8 or GB18030) or .xlsx (the first sheet), up to 200 MB. The first row names "
            "the columns, in Chinese or by the English names below."
        ),
    )


def import_form(kinds: Iterable[str], **kwargs) -> ImportForm:
    """The upload form offering only ``kinds`` (what the importer may import)."""
    form = ImportForm(**kwargs)
    allowed = set(kinds)
    form.kind.choices = [SelectChoice(k, v) for k, v in IMPORT_KINDS.items() if k in allowed]
    return form


class ApplyImportForm(BaseForm):
    sha256 = HiddenField(validators=[Regexp(r"^[0-9a-f]{64}$")])
