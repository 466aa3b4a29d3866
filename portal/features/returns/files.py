"""The worklist as a file: one row per refund or offset month, with its clause and status."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from portal.core.tables import Column, Table
from portal.features.returns.queries import WorkItem


def kind_label(kind: str) -> str:
    return {
        "refund": _("Refund"),
        "offset": _("Offset"),
        "waiting": _("Offset waiting for an assessment"),
        "july_offset": _("July already collected: offset"),
        "july_waiting": _("July offset waiting for an assessment"),
    }[kind]


def status_label(item: WorkItem) -> str:
    if item.is_done:
        return _("Done")
    if item.needs_account:
        return _("Account needed")
    if item.is_waiting:
        return _("Not assessed yet")
    return _("To do")


def worklist_table(items: Sequence[WorkItem]) -> Table:
    columns = [
        Column(_("Kind"), width=18),
        Column(_("Employer"), width=28),
        Column(_("Unified social credit code"), width=22),
        Column(_("Program"), width=16),
        Column(_("Contribution month"), width=12),
        Column(_("Amount (yuan)")),
        Column(_("Balance left (yuan)")),
        Column(_("Refund account"), width=30),
        Column(_("Clause"), width=48),
        Column(_("Status"), width=12),
        Column(_("Done on"), width=12),
        Column(_("Reference"), width=20),
    ]
    rows = (
        [
            kind_label(i.kind),
            i.employer_name,
            i.credit_code,
            i.program_id,
            i.month,
            i.amount,
            i.balance,
            (i.account or _("Account needed")) if i.kind == "refund" else None,
            i.clause,
            status_label(i),
            i.done.done_on if i.done else None,
            i.done.reference if i.done else None,
        ]
        for i in items
    )
    return Table(_("Refunds and offsets"), columns, rows)
