"""Words for an upload refused for what is inside it (``portal.applications.contents``)."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.applications.contents import MAX_PIXELS


def unsafe_file_message(code: str, name: str) -> str:
    if code == "active_content":
        return _(
            "%(name)s contains scripts, automatic actions, embedded files or extra data that "
            "could run when it is opened. Print it to a new PDF, or scan the paper, and upload "
            "that; nothing was saved.",
            name=name,
        )
    if code == "too_many_pixels":
        return _(
            "%(name)s has more than %(n)d million pixels. Scan or photograph it at a lower "
            "resolution and upload it again; nothing was saved.",
            name=name,
            n=MAX_PIXELS // 1_000_000,
        )
    return _(
        "%(name)s cannot be opened: it may be damaged, need a password, or not really be a "
        "PDF, JPEG or PNG. Save it again and upload the new file; nothing was saved.",
        name=name,
    )
