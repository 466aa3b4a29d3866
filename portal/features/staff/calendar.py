"""The agency's calendar on the staff home: what is due and when, each with one action.

An entry comes from a source: one small provider per source in ``PROVIDERS``, each given the
staff member, their agency and the day, each answering the entries it has (none: nothing is
shown). The dates of the monthly duties are the rules' (``portal.rules.calendar``, values in the
policy files); what is waiting is read from the source's own queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _

from portal.features.held.queries import pending_count
from portal.features.reports.operations import sent_monthly_report
from portal.features.reports.queries import collections_imported, monthly_sharing_made
from portal.features.reports.reconciliation import reconciliation
from portal.features.returns.queries import worklist
from portal.features.review.queries import reviews_due
from portal.models import Agency, User
from portal.rules import load_program
from portal.rules.calendar import Due, dues_on
from portal.rules.months import add_months
from portal.web.permissions import BACK_OFFICE, REVIEW, can


@dataclass(frozen=True)
class Action:
    """The entry's one action: a link (GET), or a button that posts ``fields`` (a file made by
    a job, like the 缓缴清单 or the monthly report)."""

    label: str
    url: str
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def is_post(self) -> bool:
        return bool(self.fields)


@dataclass(frozen=True)
class Entry:
    key: str  # the source's: "monthly_summary", "tax_list_monthly", "reviews", "held" ...
    title: str
    detail: str
    action: Action
    due_on: date | None = None
    is_late: bool = False
    is_done: bool = False
    ref: str | None = None  # the clause that sets the date


@dataclass(frozen=True)
class Context:
    user: User
    agency: Agency
    on: date


Provider = Callable[[Context], list[Entry]]


def monthly_duties(ctx: Context) -> list[Entry]:
    """The files the agency's programs ask for every month (Jiangsu's summary before the 5th,
    Inner Mongolia's 缓缴清单 on the 1st), for the month before, with the file's action."""
    if not can(ctx.user, BACK_OFFICE):
        return []
    programs = [load_program(term.program_id) for term in ctx.agency.region.programs.terms]
    entries = []
    for due in dues_on(programs, ctx.on):
        make = _DUTY_ENTRIES.get(due.duty)
        if make is not None:
            entries.append(make(ctx, due))
    return entries


def _monthly_summary(ctx: Context, due: Due) -> Entry:
    sent = sent_monthly_report(due.month, ctx.agency) is not None
    return Entry(
        "monthly_summary",
        _("Monthly deferral summary of %(month)s to the provincial fund centre", month=due.month),
        _("Sent (marked as sent on the monthly report).")
        if sent
        else _("Mark it as sent on the monthly report once it has gone."),
        Action(
            _("Download the summary of %(month)s (.xlsx)", month=due.month),
            url_for("reports.monthly_xlsx"),
            (("month", due.month), ("agency", ctx.agency.code)),  # made by a job
        ),
        due.due_on,
        due.is_late(ctx.on) and not sent,
        sent,
        due.ref,
    )


def _tax_list_monthly(ctx: Context, due: Due) -> Entry:
    made = monthly_sharing_made(ctx.agency.id, f"{ctx.on:%Y-%m}")
    return Entry(
        "tax_list_monthly",
        _("Deferral list of %(month)s to the tax bureau (monthly sharing)", month=due.month),
        _("Made this month.")
        if made
        else _("Last month's list with last month's persons and amounts, for statistics."),
        Action(
            _("Download the list of %(month)s (.xlsx)", month=due.month),
            url_for("reports.tax_list"),
            (
                ("on", ctx.on.isoformat()),
                ("agency", ctx.agency.code),
                ("monthly", "y"),
                ("file_format", "xlsx"),
            ),
        ),
        due.due_on,
        due.is_late(ctx.on) and not made,
        made,
        due.ref,
    )


_DUTY_ENTRIES: dict[str, Callable[[Context, Due], Entry]] = {
    "monthly_summary": _monthly_summary,
    "tax_list_monthly": _tax_list_monthly,
}


def reviews(ctx: Context) -> list[Entry]:
    """The applications waiting for review, by kind, with the first due date."""
    if not can(ctx.user, REVIEW):
        return []
    titles = {
        "commitment": _("Commitment applications to review"),
        "deferral_2020": _("2020 deferral applications to review"),
    }
    return [
        Entry(
            "reviews",
            titles.get(waiting.kind, waiting.kind),
            _(
                "%(count)d waiting, %(overdue)d of them overdue.",
                count=waiting.count,
                overdue=waiting.overdue,
            ),
            Action(_("Open the review queue"), url_for("review.queue")),
            waiting.first_due_on,
            waiting.overdue > 0,
        )
        for waiting in reviews_due(ctx.agency.id, ctx.on)
    ]


def held_changes(ctx: Context) -> list[Entry]:
    """Changes from the deferral list held for a decision (no date: as soon as possible)."""
    if not can(ctx.user, BACK_OFFICE):
        return []
    count = pending_count(ctx.agency.id)
    if not count:
        return []
    return [
        Entry(
            "held",
            _("Changes from the list waiting for a decision"),
            _("%(count)d waiting.", count=count),
            Action(_("Decide on them"), url_for("held.queue")),
        )
    ]


def refunds_waiting(ctx: Context) -> list[Entry]:
    """The refunds and offsets of the agency ready to be carried out (the worklist's rows not
    done that can be: an account known, the month assessed), with a link to the worklist."""
    if not can(ctx.user, BACK_OFFICE):
        return []
    items = worklist(ctx.on, agency_id=ctx.agency.id)
    ready = sum(1 for item in items if item.can_be_done)
    accounts = sum(1 for item in items if item.needs_account and not item.is_done)
    if not ready and not accounts:
        return []
    return [
        Entry(
            "returns",
            _("Refunds and offsets to carry out"),
            _(
                "%(ready)d ready to carry out; %(accounts)d refunds waiting for an account.",
                ready=ready,
                accounts=accounts,
            ),
            Action(_("Open the worklist"), url_for("returns.worklist_page")),
        )
    ]


def differences_to_resolve(ctx: Context) -> list[Entry]:
    """Last month's employers whose figures differ from the tax bureau's, once its collected
    figures of that month are imported, with a link to the reconciliation (鲁医保发〔2022〕21号
    六: the monthly report is final only when they agree)."""
    month = add_months(f"{ctx.on:%Y-%m}", -1)
    if not can(ctx.user, BACK_OFFICE) or not collections_imported(ctx.agency.id, month):
        return []
    result = reconciliation(month, ctx.on, agency_id=ctx.agency.id)
    if result.is_agreed:
        return []
    employers = len({row.employer_id for row in result.rows})
    return [
        Entry(
            "differences",
            _("Differences with the tax bureau to resolve"),
            _(
                "%(count)d employers' figures for %(month)s differ from the bureau's.",
                count=employers,
                month=month,
            ),
            Action(
                _("See the reconciliation"),
                url_for("reports.reconciliation", month=month, agency=ctx.agency.code),
            ),
        )
    ]


#: The calendar's sources, one provider each, in the order the staff home lists their entries
#: when they have no date (dated entries come first, soonest first).
PROVIDERS: tuple[Provider, ...] = (
    monthly_duties,
    reviews,
    held_changes,
    refunds_waiting,
    differences_to_resolve,
)


def agency_calendar(user: User, agency: Agency, on: date) -> list[Entry]:
    """Every source's entries for ``agency`` on ``on``: dated ones soonest first, then the
    rest in the providers' order."""
    ctx = Context(user, agency, on)
    entries = [entry for provider in PROVIDERS for entry in provider(ctx)]
    dated = sorted((e for e in entries if e.due_on is not None), key=lambda e: e.due_on or date.min)
    return dated + [e for e in entries if e.due_on is None]
