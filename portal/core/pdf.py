"""The one PDF entry point: templates of plain values rendered to PDF bytes.

WeasyPrint itself is in portal/core/weasy.py, imported at the first render: a process that
never makes a PDF (a job worker applying a register of a million rows) does not carry it.

The commitment letter (portal/letters) is the first user. Rendering is deterministic: the same
values give byte-for-byte the same PDF, because the app stores the bytes and their SHA-256 once
and later downloads must match them.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import jinja2

__all__ = [
    "PDF_ASSETS_BASE_URL",
    "PDF_ASSETS_DIR",
    "PDF_TEMPLATES_DIR",
    "AssetRefusedError",
    "PdfAssetError",
    "render_html",
    "render_pdf",
    "sha256_hex",
]

_REPO_ROOT = Path(__file__).resolve().parents[2]
PDF_TEMPLATES_DIR = _REPO_ROOT / "templates" / "pdf"
PDF_ASSETS_DIR = (_REPO_ROOT / "static" / "pdf").resolve()
PDF_ASSETS_BASE_URL = PDF_ASSETS_DIR.as_uri() + "/"


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of the bytes as 64 lower-case hex digits."""
    return hashlib.sha256(data).hexdigest()


# --- errors ----------------------------------------------------------------------------


class AssetRefusedError(ValueError):
    """A URL outside the package's own PDF assets was asked for."""


class PdfAssetError(RuntimeError):
    """A PDF render asked for an asset that the fetcher refused or could not read."""


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
    from portal.core import weasy  # WeasyPrint (30 MB) only in a process that renders a PDF

    html = render_html(template_name, context)
    with _fixed_font_timestamps():
        return weasy.write_pdf(html)


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
