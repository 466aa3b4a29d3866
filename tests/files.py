"""Small real files for upload tests: uploads are parsed (pikepdf) and re-encoded (Pillow)."""

from __future__ import annotations

import io

import pikepdf
from PIL import Image


def png(size: tuple[int, int] = (40, 30), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (40, 30), color: tuple[int, int, int] = (30, 30, 200)) -> bytes:
    """A JPEG as the portal would keep it (re-encoding it gives the same bytes)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=92)
    return out.getvalue()


def pdf(pages: int = 1, **root: object) -> bytes:
    """A PDF with blank pages; ``root`` adds entries to its catalogue (``OpenAction=...``).

    As the portal would keep it (portal.core.contents.clean_pdf writes an upload again the
    same way): storing it gives the same bytes.
    """
    document = pikepdf.new()
    for _ in range(pages):
        document.add_blank_page()
    for key, value in root.items():
        document.Root[f"/{key}"] = value
    out = io.BytesIO()
    document.save(out, static_id=True)
    with pikepdf.open(io.BytesIO(out.getvalue())) as again:
        kept = io.BytesIO()
        again.save(kept, deterministic_id=True, encryption=False, fix_metadata_version=False)
    return kept.getvalue()
