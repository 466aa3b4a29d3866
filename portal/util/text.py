"""Which characters typed text may hold: no control characters, no text-direction overrides,
no line breaks in a line.

Control characters (C0, DEL, C1) have no place in a name, an address or a reason; NUL cannot
even be stored in PostgreSQL. A one-line field (a name, an address) takes no line break of
any kind: not LF, CR or TAB, nor NEL (U+0085, a C1 control), nor the Unicode line and
paragraph separators U+2028 and U+2029, which a letter, a page or a spreadsheet may show as
a break the field did not show. A text area keeps LF, CR, TAB and U+2028/U+2029: there they
are the line breaks the person sees. The bidirectional embeddings, overrides and isolates
(U+202A–U+202E, U+2066–U+2069) make a stored name display as something else ("Trojan
Source"). Everything else stays, CJK included. Pure Python, no Flask.
"""

from __future__ import annotations

import re

_LINE_BREAKS = "\n\r\t\u2028\u2029"
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_FORBIDDEN_IN_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
assert not any(_FORBIDDEN_IN_LINES.match(c) for c in _LINE_BREAKS)


def forbidden_character(text: str, *, multiline: bool = False) -> str | None:
    """Return the first character ``text`` may not hold, or None when it is clean.

    ``multiline`` allows line feeds, carriage returns, tabs and the Unicode line and paragraph
    separators (a text area).
    """
    match = (_FORBIDDEN_IN_LINES if multiline else _FORBIDDEN).search(text)
    return match.group() if match else None
