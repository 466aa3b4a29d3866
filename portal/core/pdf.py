"""The one WeasyPrint entry point: templates of plain values rendered to PDF bytes.

The commitment letter (portal/letters) is the first user. Rendering is deterministic: the same
values give byte-for-byte the same PDF, because the app stores the bytes and their SHA-256 once
and later downloads must match them.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2

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
    "PDF_ASSETS_BASE_URL",
    "PDF_ASSETS_DIR",
    "PDF_TEMPLATES_DIR",
    "AssetRefusedError",
    "PackageAssetFetcher",
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
