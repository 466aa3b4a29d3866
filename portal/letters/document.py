"""The values printed on a signed commitment letter, and their rendering to PDF bytes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

import segno
from markupsafe import Markup

from portal.core.pdf import render_pdf
from portal.letters.text import COMMITMENT_TEXT, COMMITMENT_TITLE

#: The letter prints times and dates where the employers are.
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class CommitmentLetterData:
    """Plain values printed on a signed commitment letter."""

    reference: str
    employer_name: str
    credit_code: str
    insurance_unit_number: str
    program_name: str
    period_label: str
    signed_at: datetime  # aware, UTC; printed in Asia/Shanghai time
    signature_method: Literal["online", "paper"]
    signatory_name: str
    verification_code: str
    verify_url: str
    issued_on: date
    hall_name: str | None = None
    received_by: str | None = None
    decision: str | None = None

    def __post_init__(self) -> None:
        if self.signed_at.tzinfo is None:
            raise ValueError("signed_at must be timezone-aware")
        if self.signature_method not in ("online", "paper"):
            raise ValueError(f"unknown signature method: {self.signature_method!r}")
        if self.signature_method == "paper" and not (self.hall_name and self.received_by):
            raise ValueError("a paper signature needs hall_name and received_by")


def render_commitment_letter(letter: CommitmentLetterData) -> bytes:
    """Render the signed commitment letter to PDF bytes."""
    return render_pdf("commitment_letter.html", commitment_letter_context(letter))


def commitment_letter_context(letter: CommitmentLetterData) -> dict[str, object]:
    """Build the template values for a commitment letter (all plain strings)."""
    signed_local = letter.signed_at.astimezone(SHANGHAI)
    signed_on = signed_local.date()
    if letter.issued_on > signed_on:
        modified = datetime.combine(letter.issued_on, time(), tzinfo=SHANGHAI)
    else:
        modified = signed_local
    return {
        **asdict(letter),
        "title": COMMITMENT_TITLE,
        "body": COMMITMENT_TEXT,
        "signed_at_local": signed_local.strftime("%Y-%m-%d %H:%M"),
        "signed_on": signed_on.isoformat(),
        "signed_year": str(signed_on.year),
        "signed_month": str(signed_on.month),
        "signed_day": str(signed_on.day),
        "issued_on": letter.issued_on.isoformat(),
        "created_w3c": _w3c(letter.signed_at),
        "modified_w3c": _w3c(modified),
        "qr_svg": _qr_svg(letter.verify_url),
    }


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _qr_svg(url: str) -> Markup:
    """Draw the verify URL as an inline SVG QR code (segno writes no text, only modules)."""
    svg = segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True)
    return Markup(svg)  # noqa: S704 -- segno's own markup; the URL is encoded, not embedded
