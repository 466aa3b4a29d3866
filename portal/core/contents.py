"""What an uploaded file holds: a PDF without active content, an image that is only an image.

The type comes from the first bytes (``portal.core.uploads.sniff``); this looks inside.

- PDFs are parsed with pikepdf (qpdf): names are compared as qpdf decodes them, so ``#xx``
  escapes and compressed object streams hide nothing. A PDF that needs a password to open is
  refused (``encrypted``). One is refused (``active_content``) when it could act by itself
  or launch, submit or run something: JavaScript, a launch action, embedded files, rich media
  or 3D, XFA forms, form submission or data import, a rendition, a link to another file
  (``/GoToR``, ``/GoToE``) or to an address that is not http(s) (``javascript:``, ``file:``,
  a UNC path), and an open action or additional action (``/OpenAction``, ``/AA``) that does
  anything but go to a page: opening the file must not even call a web address. These are
  refused, not removed: the portal keeps evidence for a reviewer, a document that carries
  such actions is not a plain scan or export, and "print it to a new PDF, or scan the paper"
  gives the clerk a clean file whose every page is what the reviewer sees; a refusal is also
  simple to prove complete, a removal is not.
- What is kept of a PDF is the document qpdf read, written again: bytes glued after it (a
  ZIP whose comment ends in ``%%EOF``, HTML ending ``<!--\n%%EOF``) or between its objects
  are not written, an owner password's restrictions are dropped, and the kept bytes (and
  their SHA-256, recorded with the file) are those. One exception keeps a digital signature
  verifiable: a PDF whose last signature covers every byte of the file (``/ByteRange`` from
  0 to the end, the gap only the signature's hex string) is kept as uploaded, since nothing
  follows the signed document and a rewrite would break the signature. What such a file
  carries inside its objects is the signer's; it is served only as an attachment.
- JPEG and PNG images are decoded with Pillow and encoded again: what is stored is the
  picture and nothing else (no trailing archive, no comments or metadata, no location in the
  EXIF); the photo keeps the way up it was taken. Before any is decoded, the pixels of every
  image of one request are counted from their headers (``Image.open`` reads only the
  header): more than ``MAX_PIXELS`` in one image, or ``MAX_PIXELS_PER_REQUEST`` together, is
  refused before decoding.
"""

from __future__ import annotations

import io
import re
import warnings

import pikepdf
from PIL import Image, ImageOps

#: Dictionary keys that make a PDF do something by itself.
ACTIVE_KEYS = frozenset(
    {
        "/JavaScript",
        "/JS",
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
        "/GoToR",
        "/Rendition",
        "/Sound",
        "/Movie",
        "/3D",
    }
)
#: The only schemes a link (``/URI`` action) may use: a click opens a web page, nothing else.
WEB_SCHEMES = (b"http://", b"https://")
#: Bigger scans than any A4 page at 600 dpi (about 35 million pixels) are refused before
#: they are decoded: a small file can expand to gigabytes of pixels.
MAX_PIXELS = 50_000_000
#: All the images of one request together: five 12-megapixel phone photos, or one A4 page at
#: 600 dpi with others at 300 dpi (8.7 million each). Decoding takes 3 bytes a pixel and
#: encoding again most of the time: the battery's five 49-megapixel PNGs (245 million) cost
#: 6-11 s and 347 MB of a worker.
MAX_PIXELS_PER_REQUEST = 60_000_000
_SIGNATURE_GAP = re.compile(rb"<[0-9A-Fa-f\s]*>")
_UNSEEN_IN_ADDRESSES = re.compile(rb"[\x00-\x20\x7f]")
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}


class UnsafeContent(Exception):
    """``code``: "active_content", "encrypted", "damaged" or "too_many_pixels"; ``pixels``
    the image's (or the request's) count for "too_many_pixels"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def clean(data: bytes, mime: str) -> bytes:
    """Return the bytes to keep for an upload whose first bytes show ``mime``.

    :raise UnsafeContent: the file could act when opened, needs a password, is not what it
        starts as, or is an image too large to decode safely.
    """
    if mime == "application/pdf":
        return clean_pdf(data)
    return reencode_image(data, mime)


def clean_pdf(data: bytes) -> bytes:
    """Return the PDF to keep: the document qpdf reads, written again (or as uploaded when a
    signature covers all of it).

    :raise UnsafeContent: "encrypted" (needs a password to open), "active_content", or
        "damaged" (not a readable PDF).
    """
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if _has_active_content(pdf):
                raise UnsafeContent("active_content")
            if _signed_to_the_end(pdf, data):
                return data
            out = io.BytesIO()
            # The same upload gives the same bytes (deterministic /ID); no encryption kept.
            pdf.save(out, deterministic_id=True, encryption=False, fix_metadata_version=False)
            return out.getvalue()
    except pikepdf.PasswordError as error:
        raise UnsafeContent("encrypted") from error
    except (pikepdf.PdfError, RuntimeError, ValueError, TypeError) as error:
        # Unreadable: a reviewer could not read it either.
        raise UnsafeContent("damaged") from error


def _signed_to_the_end(pdf: pikepdf.Pdf, data: bytes) -> bool:
    """Whether a signature's ``/ByteRange`` covers every byte of the file but its own hex."""
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or "/ByteRange" not in obj:
            continue
        ranges = obj["/ByteRange"]
        if not isinstance(ranges, pikepdf.Array) or len(ranges) != 4:
            continue
        if not all(isinstance(n, int) for n in ranges):
            continue
        start, first, second, length = (int(n) for n in ranges)
        if start == 0 and 0 < first <= second and second + length == len(data):
            if _SIGNATURE_GAP.fullmatch(data[first:second]):
                return True
    return False


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
    if dictionary.get("/S") == pikepdf.Name.URI and not _is_web_address(dictionary.get("/URI")):
        return True
    if "/OpenAction" in keys and not _only_goes_to(dictionary["/OpenAction"]):
        return True
    additional = dictionary.get("/AA")
    if additional is not None:  # a page opened or closed, a field typed in, a print...
        if not isinstance(additional, pikepdf.Dictionary):
            return True
        return not all(_only_goes_to(action) for action in additional.values())
    return False


def _is_web_address(uri: object) -> bool:
    """An absolute http(s) address, as a viewer reads it (spaces and controls ignored)."""
    if not isinstance(uri, pikepdf.String):
        return False
    return _UNSEEN_IN_ADDRESSES.sub(b"", bytes(uri)).lower().startswith(WEB_SCHEMES)


def _only_goes_to(action: object, depth: int = 0) -> bool:
    """Whether an action run without a click only shows a page: a destination, or ``/GoTo``
    actions (with their ``/Next`` ones). A web address called on opening is not: it tells a
    server who opened the file, and when."""
    if depth > 20:
        return False
    if isinstance(action, pikepdf.Array):  # a destination: [page /XYZ left top zoom]
        return True
    if not isinstance(action, pikepdf.Dictionary) or action.get("/S") != pikepdf.Name.GoTo:
        return False
    following = action.get("/Next")
    if following is None:
        return True
    if isinstance(following, pikepdf.Dictionary):
        return _only_goes_to(following, depth + 1)
    if not isinstance(following, pikepdf.Array):
        return False
    return all(_only_goes_to(step, depth + 1) for step in following)


def pixels(data: bytes, mime: str) -> int:
    """The pixels an image's header declares, nothing decoded (0 for a PDF).

    :raise UnsafeContent: "too_many_pixels" (more than ``MAX_PIXELS``), or "damaged" (no
        header of the format its first bytes name).
    """
    if mime not in _FORMATS:
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_FORMATS[mime]]) as image:
                width, height = image.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise UnsafeContent("too_many_pixels") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:  # Pillow's ways to say "not"
        raise UnsafeContent("damaged") from error
    if width * height > MAX_PIXELS:
        raise UnsafeContent("too_many_pixels")
    return width * height


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
