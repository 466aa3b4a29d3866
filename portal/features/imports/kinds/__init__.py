"""The imports: their columns, how a row is read, and how a batch meets the database.

One module per kind: ``deferral_list`` (the list, written to the register), ``assessments``,
``persons`` (persons' assessments), ``payments`` and ``collections`` (the tax bureau's
collected figures, for the reconciliation), and the reference data: ``agencies`` (with
their pooling regions), ``fund_reserve`` and ``rates`` (per region, dated); what they share
(the ``Kind``, the row reading, the ``Tally``, the upserts) is in ``base``. ``KINDS`` names
them, in the order the pages show them; ``kinds_for`` those someone may import.

Every kind checks a batch of rows against what is stored in a few set-based statements and,
when applying, writes the batch with one executemany per statement; the list, a million rows
long, is staged (COPY on PostgreSQL) and compared and written a chunk at a time, on PostgreSQL
in a second thread while the next rows are read (``deferral_list.ListStage``). Nothing an
employer did is undone: no decision, application or payment is ever deleted; a list row that
contradicts one is applied and reported as a conflict for staff.
"""

from __future__ import annotations

from portal.features.imports.kinds import (
    agencies,
    assessments,
    collections,
    deferral_list,
    fund_reserve,
    payments,
    persons,
    rates,
)
from portal.features.imports.kinds.base import Context, Kind, Problem, RowErrors, Tally

KINDS: dict[str, Kind] = {
    "list": deferral_list.KIND,
    "assessments": assessments.KIND,
    "persons": persons.KIND,
    "payments": payments.KIND,
    "collections": collections.KIND,
    "agencies": agencies.KIND,
    "fund-reserve": fund_reserve.KIND,
    "rates": rates.KIND,
}


def kinds_for(scope_agency_id: int | None) -> dict[str, Kind]:
    """The kinds someone may import: agency staff (``scope_agency_id``) not the agencies."""
    return {
        name: kind
        for name, kind in KINDS.items()
        if scope_agency_id is None or not kind.every_agency_only
    }


__all__ = ["KINDS", "Context", "Kind", "Problem", "RowErrors", "Tally", "kinds_for"]
