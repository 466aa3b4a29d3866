"""What an uploaded file holds: a PDF without active content, an image that is only an image.

The type comes from the first bytes (``portal.core.uploads.sniff``); this looks inside.

- PDFs are parsed with pikepdf (qpdf): names are compared as qpdf decodes them, so ``#xx``
  escapes and compressed object streams hide nothing. A PDF is refused when it could act when
  opened — JavaScript, an open action, additional actions, a launch action, embedded files,
  rich media, XFA forms, form submission — or when bytes follow its last ``%%EOF`` (a
  polyglot: a ZIP or HTML document glued to a PDF). The bytes kept are the bytes uploaded, so
  the file's SHA-256 stays the one the employer can check.
- JPEG and PNG images are decoded with Pillow and encoded again: what is stored is the
  picture and nothing else (no trailing archive, no comments or metadata, no location in the
  EXIF); the photo keeps the way up it was taken.
"""

from __future__ import annotations

import io
import warnings

import pikepdf
from PIL import Image, ImageOps

#: Dictionary keys that make a PDF do something by itself.
ACTIVE_KEYS = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/EF",
        "/RichMedia",
        "/XFA",
    }
)
#: Action and object types (``/S``, ``/Type``, ``/Subtype``) that do the same.
ACTIVE_TYPES = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/EmbeddedFile",
        "/RichMedia",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/Sound",
        "/Movie",
    }
)
_PADDING = b" \t\r\n\x0c\x00"
#: Bigger scans than any A4 page at 600 dpi (about 35 million pixels) are refused before
#: they are decoded: a small file can expand to gigabytes of pixels.
MAX_PIXELS = 50_000_000
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}


class UnsafeContent(Exception):
    """``code``: "active_content", "damaged" or "too_many_pixels"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def clean(data: bytes, mime: str) -> bytes:
    """Return the bytes to keep for an upload whose first bytes show ``mime``.

    :raise UnsafeContent: the file could act when opened, is not what it starts as, or is an
        image too large to decode safely.
    """
    if mime == "application/pdf":
        check_pdf(data)
        return data
    return reencode_image(data, mime)


def check_pdf(data: bytes) -> None:
    """:raise UnsafeContent: active content, trailing data, or not a readable PDF."""
    if not data.rstrip(_PADDING).endswith(b"%%EOF"):
        raise UnsafeContent("active_content")  # something follows the PDF: a polyglot
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if _has_active_content(pdf):
                raise UnsafeContent("active_content")
    except (pikepdf.PdfError, RuntimeError, ValueError, TypeError) as error:
        # Unreadable, or needs a password to open: a reviewer could not read it either.
        raise UnsafeContent("damaged") from error


def _has_active_content(pdf: pikepdf.Pdf) -> bool:
    """Look at every dictionary, direct ones inside others included (a name tree, an action)."""
    todo: list = [pdf.trailer, *pdf.objects]
    seen: set[tuple[int, int]] = set()
    while todo:
        obj = todo.pop()
        if not isinstance(obj, pikepdf.Object):  # numbers and booleans come back as Python's
            continue
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Dictionary):
            if _is_active(obj):
                return True
            todo.extend(obj.values())
        elif isinstance(obj, pikepdf.Array):
            todo.extend(obj)
    return False


def _is_active(dictionary: pikepdf.Dictionary) -> bool:
    keys = set(dictionary.keys())
    if keys & ACTIVE_KEYS:
        return True
    for key in ("/S", "/Type", "/Subtype"):
        value = dictionary.get(key)
        if isinstance(value, pikepdf.Name) and str(value) in ACTIVE_TYPES:
            return True
    return False


def reencode_image(data: bytes, mime: str) -> bytes:
    """Decode the image and encode it again in its own format.

    :raise UnsafeContent: not decodable as the format its first bytes name, or too many pixels.
    """
    expected = _FORMATS[mime]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise UnsafeContent("too_many_pixels")
                image.load()
                upright = ImageOps.exif_transpose(image)
                # Pillow writes some of ``info`` back (a JPEG comment, for one): keep only
                # what the picture needs.
                upright.info = {k: v for k, v in image.info.items() if k == "transparency"}
                return _encode(upright, expected, image.info.get("icc_profile"))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise UnsafeContent("too_many_pixels") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:  # Pillow's ways to say "not"
        raise UnsafeContent("damaged") from error


def _encode(image: Image.Image, image_format: str, icc_profile: bytes | None) -> bytes:
    out = io.BytesIO()
    options: dict = {"icc_profile": icc_profile} if icc_profile else {}
    if image_format == "JPEG":
        if image.mode not in ("L", "RGB", "CMYK"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=92, **options)
    else:
        image.save(out, "PNG", **options)
    return out.getvalue()
