"""What people read about applications: status names, refusals, the class explanation."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.rules import INDUSTRIES, Classification
from portal.rules.uscc import unit_kind_data, unit_kind_label
from portal.uploads import MAX_EVIDENCE_FILES, EvidenceError

STATUSES = {
    "draft": _l("Draft: not sent yet"),
    "submitted": _l("Waiting for review"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}
LETTER_STATUSES = {
    "valid": _l("Valid"),
    "superseded": _l("Superseded by a later letter"),
    "rejected": _l("Application rejected"),
}
LETTER_KINDS = {
    "signed": _l("Signed commitment letter"),
    "approved": _l("Commitment letter with the approval"),
}
INDICATORS = {
    "employees": (_l("Number of employees"), _l("persons")),
    "revenue": (_l("Operating revenue"), _l("万元 (10,000 yuan)")),
    "assets": (_l("Total assets"), _l("万元 (10,000 yuan)")),
}
LEVELS = {
    "sme": _l("Small or medium-sized (中小微型) if any figure is below its line"),
    "medium": _l("Medium (中型) if every figure is at or above its line"),
    "small": _l("Small (小型) if every figure is at or above its line"),
}


def is_english() -> bool:
    return str(get_locale()) == "en"


def status_label(code: str | None) -> str:
    return str(STATUSES.get(code or "", code or ""))


def letter_status_label(code: str) -> str:
    return str(LETTER_STATUSES.get(code, code))


def letter_kind_label(code: str) -> str:
    return str(LETTER_KINDS.get(code, code))


def industry_name(key: str | None) -> str:
    if not key or key not in INDUSTRIES:
        return "—"
    industry = INDUSTRIES[key]
    return industry.en if is_english() else industry.zh


def unit_kind_name(key: str | None) -> str:
    if not key:
        return "—"
    if key == "unknown":
        return _("Another kind of unit")
    zh, en = unit_kind_label(key)
    return en if is_english() else zh


def unit_kind_choices() -> list[tuple[str, str]]:
    """Every unit kind of GB 32100-2015 once, in the table's order, then "another kind"."""
    seen: dict[str, None] = {}
    for kind in unit_kind_data().kinds.values():
        seen.setdefault(kind.key)
    return [(key, unit_kind_name(key)) for key in seen] + [("unknown", unit_kind_name("unknown"))]


def indicator_label(name: str) -> str:
    return str(INDICATORS[name][0])


def indicator_unit(name: str) -> str:
    return str(INDICATORS[name][1])


def _figure(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def explanation(result: Classification) -> list[str]:
    """The classification, check by check, in the reader's language (from ``result.checks``)."""
    lines = [
        _(
            "Rule used: %(clause)s, %(industry)s.",
            clause=result.clause,
            industry=industry_name(result.industry),
        )
    ]
    for level in ("sme", "medium", "small"):
        checks = [c for c in result.checks if c.level == level]
        if not checks:
            continue
        parts = [
            _(
                "%(indicator)s %(value)s %(operator)s %(threshold)s %(unit)s: %(answer)s",
                indicator=indicator_label(c.indicator),
                value=_figure(c.value),
                operator="<" if c.operator == "<" else "≥",
                threshold=_figure(c.threshold),
                unit=indicator_unit(c.indicator),
                answer=_("yes") if c.holds else _("no"),
            )
            for c in checks
        ]
        lines.append(_("%(rule)s: %(checks)s.", rule=LEVELS[level], checks="; ".join(parts)))
    return lines


def refusal_message(code: str, detail: str = "") -> str:
    """Say plainly why the employer cannot apply."""
    messages = {
        "listed": _(
            "Your employer is already on the deferral list, so it does not need to apply: it "
            "gets the deferral without applying (免申即享). Confirm or opt out on your home page."
        ),
        "reduction_program": _(
            "Your agency runs a 2020 program. The online commitment route belongs to the 2022 "
            "deferral programs; ask the service hall how to apply for a deferral."
        ),
        "out_of_scope_unit_kind": _(
            "Government organs and public institutions (机关事业单位) cannot apply. The 2022 "
            "deferral covers small and medium-sized enterprises, unit-insured individual "
            "businesses and social organisations only (鲁医保发〔2022〕21号 一)."
        ),
        "large_enterprise": _(
            "From the figures you gave, this is a large enterprise under "
            "工信部联企业〔2011〕300号. The deferral covers only medium, small and micro "
            "enterprises, so it cannot apply. If a figure is wrong, change it."
        ),
        "arrears": _(
            "Your employer has unpaid contributions from before the deferral period. Pay them "
            "first; then it can apply."
        ),
        "fund_reserve": _(
            "Your pooling region's fund reserve is not above the level the program requires, "
            "so the deferral does not apply there."
        ),
        "fund_reserve_unknown": _(
            "The agency has not recorded your pooling region's fund reserve yet, so the "
            "deferral cannot be checked. Ask the service hall."
        ),
    }
    if code in messages:
        return messages[code]
    return _("You cannot apply: %(reason)s", reason=detail or code)


def evidence_error_message(error: EvidenceError) -> str:
    if error.code == "none":
        return _("Choose a file to upload")
    if error.code == "too_many":
        return _(
            "You can attach at most %(n)s files. Remove one before adding another.",
            n=MAX_EVIDENCE_FILES,
        )
    if error.code == "empty":
        return _("%(name)s is empty. Choose the right file.", name=error.filename)
    if error.code == "too_large":
        return _("%(name)s is larger than 10 MB. Upload a smaller file.", name=error.filename)
    return _(
        "%(name)s is not a PDF, JPEG or PNG file. Upload a PDF, JPEG or PNG; nothing was saved.",
        name=error.filename,
    )


def template_helpers() -> dict:
    return {
        "status_label": status_label,
        "letter_status_label": letter_status_label,
        "letter_kind_label": letter_kind_label,
        "industry_name": industry_name,
        "unit_kind_name": unit_kind_name,
        "indicator_label": indicator_label,
        "indicator_unit": indicator_unit,
    }
