"""The reconciliation with the tax bureau per agency and month (鲁医保发〔2022〕21号 六: 定期核对;
内医保办发〔2022〕19号 三（三）, 四): every deferred employer whose figures differ from what the
bureau says it collected (the collections import), one row per employer and kind of figure,
and the totals per kind. The figures come from ``portal.rules.reconciliation.compare`` over
the standings the monthly report reads (as of the month's end) and three statements more
(employers, collections, payments), whatever the number of employers. Nothing is changed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.tables import Column, Table
from portal.facts.standing import employers_where, standings
from portal.features.reports.monthly import end_of_day, month_bounds
from portal.features.reports.queries import agencies
from portal.models import Agency, Collection, Employer, Payment
from portal.rules.reconciliation import KINDS, Entry, compare, is_compared, reconciliation_policy

ZERO = Decimal(0)


@dataclass(frozen=True)
class DifferenceRow:
    """One employer's figure of one kind that differs from the bureau's."""

    employer_id: int
    credit_code: str
    employer_name: str
    agency_code: str
    kind: str
    portal_amount: Decimal
    bureau_amount: Decimal
    deferred_amount: Decimal | None

    @property
    def difference(self) -> Decimal:
        return self.bureau_amount - self.portal_amount

    @property
    def ref(self) -> str:
        return reconciliation_policy().ref(self.kind)


@dataclass
class KindTotal:
    """One kind's totals over every employer compared: they agree when no employer differs."""

    kind: str
    employers: int = 0
    differing: int = 0
    portal_amount: Decimal = ZERO
    bureau_amount: Decimal = ZERO

    @property
    def difference(self) -> Decimal:
        return self.bureau_amount - self.portal_amount

    @property
    def ref(self) -> str:
        return reconciliation_policy().ref(self.kind)


@dataclass
class Reconciliation:
    month: str
    as_of: date
    agency: Agency | None  # None: every agency
    # Whether the bureau's figures of the month were imported (a collection of the month for
    # an employer in scope): without them there is nothing to compare.
    has_collections: bool
    rows: list[DifferenceRow] = field(default_factory=list)
    totals: list[KindTotal] = field(default_factory=list)

    @property
    def is_agreed(self) -> bool:
        return not self.rows


def reconciliation(month: str, today: date, *, agency_id: int | None = None) -> Reconciliation:
    """The reconciliation of ``month`` (YYYY-MM) for one agency or every one, as of the month's
    end or today while it runs."""
    _first, _last, as_of = month_bounds(month, today)
    in_scope = agencies(agency_id)
    agency = in_scope[0] if agency_id is not None and in_scope else None
    ids = employers_where(agency_id=agency_id)
    connection = db.session.connection()
    collected: dict[int, list[Entry]] = defaultdict(list)
    has_collections = False
    for employer_id, row_month, part, amount, on in connection.execute(
        select(
            Collection.employer_id,
            Collection.month,
            Collection.part,
            Collection.amount,
            Collection.collected_on,
        ).where(Collection.employer_id.in_(ids))
    ):
        collected[employer_id].append(Entry(row_month, part, Decimal(amount), on))
        has_collections = has_collections or row_month == month
    result = Reconciliation(month, as_of, agency, has_collections)
    if not has_collections:
        return result
    paid: dict[int, list[Entry]] = defaultdict(list)
    for employer_id, paid_month, part, amount, on in connection.execute(
        select(Payment.employer_id, Payment.month, Payment.part, Payment.amount, Payment.paid_on)
        .where(Payment.employer_id.in_(ids))
        .where(Payment.paid_on <= as_of)
    ):
        paid[employer_id].append(Entry(paid_month, part, Decimal(amount), on))
    answers = standings(as_of, agency_id=agency_id, recorded_before=end_of_day(as_of))
    names = {
        row[0]: row[1:]
        for row in connection.execute(
            select(Employer.id, Employer.credit_code, Employer.name, Agency.code)
            .join(Agency, Agency.id == Employer.agency_id)
            .where(Employer.id.in_(ids))
        )
    }
    totals = {kind: KindTotal(kind) for kind in KINDS}
    for employer_id, s in sorted(answers.items(), key=lambda item: names[item[0]][0]):
        if not is_compared(s, month):
            continue
        for c in compare(
            s, month, as_of, collected.get(employer_id, []), paid.get(employer_id, [])
        ):
            total = totals[c.kind]
            total.employers += 1
            total.portal_amount += c.portal_amount
            total.bureau_amount += c.bureau_amount
            if c.differs:
                total.differing += 1
                credit_code, name, agency_code = names[employer_id]
                result.rows.append(
                    DifferenceRow(
                        employer_id,
                        credit_code,
                        name,
                        agency_code,
                        c.kind,
                        c.portal_amount,
                        c.bureau_amount,
                        c.deferred_amount,
                    )
                )
    result.rows.sort(key=lambda r: (KINDS.index(r.kind), r.agency_code, r.credit_code))
    result.totals = list(totals.values())
    return result


def kind_label(kind: str) -> str:
    return {
        "deferred": _("Deferred month collected"),
        "caught_up": _("Caught up"),
        "outstanding": _("Outstanding at month end"),
        "personal": _("Personal part"),
    }[kind]


def reconciliation_table(result: Reconciliation) -> Table:
    """One row per difference, then each kind's totals (the rows a spreadsheet sums)."""
    columns = [
        Column(_("Month"), width=10),
        Column(_("Agency code"), width=12),
        Column(_("Unified social credit code"), width=22),
        Column(_("Employer"), width=28),
        Column(_("Kind of figure"), width=18),
        Column(_("Portal (yuan)")),
        Column(_("Tax bureau (yuan)")),
        Column(_("Difference (bureau - portal, yuan)"), width=20),
        Column(_("Deferred by the portal (yuan)"), width=18),
        Column(_("Clause"), width=60),
    ]
    rows: list[list] = [
        [
            result.month,
            r.agency_code,
            r.credit_code,
            r.employer_name,
            kind_label(r.kind),
            r.portal_amount,
            r.bureau_amount,
            r.difference,
            r.deferred_amount,
            r.ref,
        ]
        for r in result.rows
    ]
    for t in result.totals:
        rows.append(
            [
                result.month,
                _("Total"),
                "",
                _(
                    "%(count)s of %(employers)s employers differ",
                    count=t.differing,
                    employers=t.employers,
                ),
                kind_label(t.kind),
                t.portal_amount,
                t.bureau_amount,
                t.difference,
                None,
                t.ref,
            ]
        )
    return Table(_("Reconciliation %(month)s", month=result.month), columns, rows)
