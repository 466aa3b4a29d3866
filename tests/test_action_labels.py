"""Every action the portal audits has a name people read on the audit page: a code written by
``audit.record`` (or an import kind's audited change) and missing from ``ACTIONS`` would be
shown raw, in English, under Chinese."""

from __future__ import annotations

import re
from pathlib import Path

from portal.labels.codes import ACTIONS

ROOT = Path(__file__).resolve().parent.parent / "portal"
# audit.record(actor, "code", ...), audited(..., "code", ...) and action="code" in the sources.
CALL = re.compile(
    r"(?:audit\.record|audited|_audit|audit_change)\(\s*[\w.\[\]]+,\s*\"([a-z_]+\.[a-z_]+)\""
)
KEYWORD = re.compile(r"action=\"([a-z_]+\.[a-z_]+)\"")


def test_every_audited_action_has_a_label():
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(CALL.findall(text)) | set(KEYWORD.findall(text))
    assert {"return.done", "collection.update", "api.call"} <= found  # the patterns still see
    assert sorted(code for code in found if code not in ACTIONS) == []
