"""The catch-up schedule as a table, for the CSV and Excel downloads (``portal.core.tables``)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from portal.core.tables import Cell, Column, Table
from portal.labels import amount_source_label
from portal.rules import to_fen
from portal.rules.standing import Standing

#: The schedule's five columns are wide enough for a label such as "Catch-up deadline".
WIDTH = 22


def schedule_table(standing: Standing) -> Table:
    """One row per deferred month, then the totals, as typed cells: money in fen (Decimal),
    dates as dates, so that a spreadsheet can add them up and sort them."""
    headers = (
        _("Contribution month"),
        _("Unit part deferred (yuan)"),
        _("Personal part (paid monthly)"),
        _("Insured persons"),
        _("Source"),
    )
    rows: list[list[Cell]] = []
    for line in standing.lines:
        rows.append(
            [
                line.month,
                _fen(line.unit_amount),
                _fen(line.personal_amount),
                line.headcount,
                amount_source_label(line.source),
            ]
        )
    quote = standing.quote
    if quote is not None:
        rows.append([_("Deferred total"), _fen(quote.deferred_total), None, None, None])
        rows.append([_("Paid so far"), _fen(quote.paid), None, None, None])
        rows.append([_("Outstanding"), _fen(quote.outstanding), None, None, None])
        rows.append([_("Catch-up deadline"), quote.deadline, None, None, None])
        rows.append([_("Late fees start on"), quote.late_fee_from, None, None, None])
        if quote.not_assessed:
            rows.append([_("Not assessed yet"), ", ".join(quote.not_assessed), None, None, None])
    columns = [Column(header, width=WIDTH) for header in headers]
    return Table(_("Deferred amounts"), columns, rows)


def _fen(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else to_fen(amount)
