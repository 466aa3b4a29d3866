"""What employer pages read of an employer's facts, kept per (employer, facts version).

Every employer page shows the employer's standing, which reads its current decision, its
assessments, its payments and (off the list) its latest commitment application: three or four
statements on every visit; the home page adds its reminders (applications and letters) and
what departures make due at once. The employer row, loaded anyway by the permission check,
carries ``facts_version``, which the database moves on whenever one of those tables changes for
that employer (portal/models/facts_version.py), on any machine. So what a page read is kept in
this worker, keyed by the employer, its version and what was read (``kept``); a later page of
the same employer at the same version uses it. The standing itself is still decided by the
pure rules on every request (``portal.rules``).

Only read-only requests use it (GET and HEAD, before anything was written in the request): a
form that decides, applies or records re-reads its facts inside its own transaction, where a
concurrent change must be seen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, has_request_context

from portal.core.writes import request_is_read_only

T = TypeVar("T")

#: Reads kept per worker (each a few kilobytes: a dozen rows of facts): about ten megabytes at
#: most, for the last thousand or so employers a worker served.
SIZE = 4096


class FactsCache:
    """A small least-recently-used map, safe for a threaded worker."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def facts_cache() -> FactsCache | None:
    """The worker's cache when this request may use it, else None."""
    if not has_request_context() or not request_is_read_only():
        return None
    return current_app.extensions.setdefault("portal.facts_cache", FactsCache())


def kept(employer, what: tuple, read: Callable[[], T]) -> T:
    """What ``read()`` returns for ``employer``, kept for its current facts version.

    ``what`` names the read and everything else it depends on (the program, a date). The value
    is shared by later requests: ``read`` returns tuples and frozen objects, not lists to grow.
    """
    cache = facts_cache()
    if cache is None:
        return read()
    key = (employer.id, employer.facts_version, *what)
    found = cache.get(key)
    if found is None:
        found = (read(),)  # in a tuple: a read may return None
        cache.put(key, found)
    return found[0]
