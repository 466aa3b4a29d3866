"""The one WeasyPrint entry point: templates of plain values rendered to PDF bytes.

The commitment letter (承诺书, 鲁医保发〔2022〕21号 附件; DOMAIN.md §9) is the first user.
Rendering is deterministic: the same values give byte-for-byte the same PDF, because the
app stores the bytes and their SHA-256 once and later downloads must match them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import jinja2
import segno
from markupsafe import Markup

with warnings.catch_warnings():
    # WeasyPrint warns at import when libharfbuzz-subset is absent (it then subsets fonts
    # with fontTools, which works). The system library is not ours to add; this one notice
    # is silenced so that `filterwarnings = error` does not turn an import into a failure.
    warnings.filterwarnings(
        "ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning
    )
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = [
    "COMMITMENT_TEXT",
    "COMMITMENT_TITLE",
    "PDF_ASSETS_BASE_URL",
    "PDF_ASSETS_DIR",
    "PDF_TEMPLATES_DIR",
    "AssetRefusedError",
    "CommitmentLetterData",
    "PackageAssetFetcher",
    "PdfAssetError",
    "new_verification_code",
    "normalise_verification_code",
    "render_commitment_letter",
    "render_html",
    "render_pdf",
    "sha256_hex",
]

_REPO_ROOT = Path(__file__).resolve().parent.parent
PDF_TEMPLATES_DIR = _REPO_ROOT / "templates" / "pdf"
PDF_ASSETS_DIR = (_REPO_ROOT / "static" / "pdf").resolve()
PDF_ASSETS_BASE_URL = PDF_ASSETS_DIR.as_uri() + "/"

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Title of the letter, 鲁医保发〔2022〕21号 附件.
COMMITMENT_TITLE = "缓缴职工医保单位缴费承诺书"

#: Body of the letter, verbatim from 鲁医保发〔2022〕21号 附件 (DOMAIN.md §9). Always Chinese.
COMMITMENT_TEXT = (
    "我单位承诺：单位划型符合《关于印发中小企业划型标准规定的通知》"
    "（工信部联企业〔2011〕300号）规定的中小微企业，申请缓缴职工医保单位缴费的信息真实有效，"
    "承诺缓缴期间依法履行好职工个人应缴纳部分代扣代缴义务，并于缓缴期满后依法完成职工医保单位缴费，"
    "如有不实，愿意按照《中华人民共和国劳动法》和《中华人民共和国社会保险法》等有关规定承担相应责任，"
    "并补缴缓缴的职工医保单位缴费本金和滞纳金。若提供虚假信息，一切后果由我单位承担。"
)

# --- verification codes ---------------------------------------------------------------

#: Crockford's base32: no I, L, O or U, so a code read aloud or retyped survives.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
VERIFICATION_CODE_CHARS = 20  # 20 × 5 bits = 100 random bits
VERIFICATION_CODE_BITS = VERIFICATION_CODE_CHARS * 5
_GROUP = 4


def new_verification_code() -> str:
    """Draw a verification code of 100 random bits: five dash-separated groups of four."""
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(VERIFICATION_CODE_CHARS))
    return _group(chars)


def normalise_verification_code(text: str) -> str:
    """Return the canonical form of a typed code (any case, spaces or dashes optional).

    :raise ValueError: if the text is not a well-formed verification code.
    """
    chars = "".join(ch for ch in text.upper() if ch not in " -\t\n\r")
    chars = chars.translate(_CROCKFORD_ALIASES)
    if len(chars) != VERIFICATION_CODE_CHARS or any(ch not in _CROCKFORD for ch in chars):
        raise ValueError("not a verification code")
    return _group(chars)


def _group(chars: str) -> str:
    return "-".join(chars[i : i + _GROUP] for i in range(0, len(chars), _GROUP))


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of the bytes as 64 lower-case hex digits."""
    return hashlib.sha256(data).hexdigest()


# --- the restricted URL fetcher -------------------------------------------------------


class AssetRefusedError(ValueError):
    """A URL outside the package's own PDF assets was asked for."""


class PdfAssetError(RuntimeError):
    """A PDF render asked for an asset that the fetcher refused or could not read."""


class PackageAssetFetcher(URLFetcher):
    """Serve only files under static/pdf; refuse every other URL by raising.

    WeasyPrint catches the exception, logs it and leaves the resource out; the refusals
    are kept in ``failures`` so that ``render_pdf`` can fail loudly afterwards.
    """

    def __init__(self, assets_dir: Path = PDF_ASSETS_DIR) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.assets_dir = assets_dir.resolve()
        self.failures: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        try:
            path = self.resolve(url)
            body = path.read_bytes()
        except Exception:
            self.failures.append(url)
            raise
        return URLFetcherResponse(path.as_uri(), body, headers={"Content-Type": _mime(path)})

    def resolve(self, url: str) -> Path:
        """Map a file:// URL to a file under the assets directory.

        :raise AssetRefusedError: for any other scheme, host, or a path outside the directory.
        """
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            raise AssetRefusedError(f"scheme not served: {url!r}")
        if parts.netloc not in ("", "localhost"):
            raise AssetRefusedError(f"host not served: {url!r}")
        try:
            path = Path(unquote(parts.path)).resolve()
        except (OSError, ValueError) as error:  # e.g. an embedded NUL from "%00"
            raise AssetRefusedError(f"not a path: {url!r}") from error
        if not path.is_relative_to(self.assets_dir) or not path.is_file():
            raise AssetRefusedError(f"not a PDF asset: {url!r}")
        return path


_MIME_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


def _mime(path: Path) -> str:
    return _MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")


# --- rendering ------------------------------------------------------------------------

_jinja = jinja2.Environment(
    loader=jinja2.FileSystemLoader(PDF_TEMPLATES_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(template_name: str, context: Mapping[str, object]) -> str:
    """Render templates/pdf/<template_name> with plain values, every value autoescaped."""
    return _jinja.get_template(template_name).render(**context)


def render_pdf(template_name: str, context: Mapping[str, object]) -> bytes:
    """Render templates/pdf/<template_name> with plain values to PDF bytes.

    The template must carry its own ``dcterms.created``/``dcterms.modified`` meta if the
    PDF is to have dates; none are taken from the clock. The file identifier is derived
    from the HTML, so equal values give equal bytes.

    :raise PdfAssetError: if the template referred to anything but the package's assets.
    """
    html = render_html(template_name, context)
    fetcher = PackageAssetFetcher()
    document = weasyprint.HTML(string=html, base_url=PDF_ASSETS_BASE_URL, url_fetcher=fetcher)
    with _fixed_font_timestamps():
        pdf = document.write_pdf(
            pdf_identifier=hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii"),
            font_config=_font_config(),
        )
    if fetcher.failures:
        raise PdfAssetError(f"assets refused or unreadable: {fetcher.failures}")
    return pdf


_thread_state = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, reused by every render on it.

    A new configuration per render loads the CJK font afresh each time and the process
    grows without bound (+45 % RSS over 200 renders, against +3 % when reused); pango's
    objects are not shared between threads, hence one per thread.
    """
    config = getattr(_thread_state, "font_config", None)
    if config is None:
        config = _thread_state.font_config = FontConfiguration()
    return config


#: fontTools (WeasyPrint's subsetter when libharfbuzz-subset is absent) stamps each embedded
#: font's ``head.modified`` with the clock unless SOURCE_DATE_EPOCH is set (the
#: reproducible-builds convention). A fixed value keeps the bytes equal: 2022-01-01T00:00Z.
_FONT_TIMESTAMP_EPOCH = "1640995200"
_environ_lock = threading.Lock()


@contextmanager
def _fixed_font_timestamps() -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH for the duration of a render, then put back what was there."""
    with _environ_lock:
        previous = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = _FONT_TIMESTAMP_EPOCH
        try:
            yield
        finally:
            if previous is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = previous


# --- the commitment letter ------------------------------------------------------------


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
