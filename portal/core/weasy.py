"""WeasyPrint, behind portal/core/pdf.py: imported at the first PDF a process renders.

Only the package's own assets are fetched (``PackageAssetFetcher``); one font configuration per
thread is reused by every render on it.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from portal.core.pdf import (
    PDF_ASSETS_BASE_URL,
    PDF_ASSETS_DIR,
    AssetRefusedError,
    PdfAssetError,
)

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


def write_pdf(html: str) -> bytes:
    """The PDF of ``html``; its file identifier is derived from the HTML, so equal HTML gives
    equal bytes.

    :raise PdfAssetError: if the HTML referred to anything but the package's assets.
    """
    fetcher = PackageAssetFetcher()
    document = weasyprint.HTML(string=html, base_url=PDF_ASSETS_BASE_URL, url_fetcher=fetcher)
    pdf = document.write_pdf(
        pdf_identifier=hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii"),
        font_config=_font_config(),
    )
    if fetcher.failures:
        raise PdfAssetError(f"assets refused or unreadable: {fetcher.failures}")
    return pdf
