from __future__ import annotations

from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from portal import rules
from portal.core.tables import XLSX_MIMETYPE, to_csv, to_xlsx
from portal.facts.departures import due_at_once
from portal.facts.standing import employer_standing
from portal.features.amounts import bp
from portal.features.amounts.forms import DepartureForm, PayOnForm
from portal.features.amounts.operations import DepartureError, record_departure
from portal.features.amounts.queries import persons
from portal.features.amounts.schedule import schedule_table
from portal.features.returns.queries import done_for
from portal.labels import put_error
from portal.labels.standing import reason_texts
from portal.util.clock import today
from portal.util.formatting import day
from portal.web.forms import SelectChoice, entered
from portal.web.permissions import EMPLOYER_FINANCE, permission


@bp.route("/")
@permission(EMPLOYER_FINANCE)
def schedule(employer):
    standing = employer_standing(employer, today())
    form = PayOnForm(request.args, meta={"csrf": False})
    what_if = None
    if "pay_on" in request.args and form.validate() and standing.quote is not None:
        what_if = _what_if(standing, form)
    return render_template(
        "amounts/schedule.html",
        employer=employer,
        standing=standing,
        form=form,
        what_if=what_if,
        deregistration=standing.deregistration,
        due_now=due_at_once(employer, standing),
        reasons=reason_texts(standing, employer) if standing.is_lapsed else [],
        july_offsets=_july_offsets_done(employer, standing),
    )


def _july_offsets_done(employer, standing) -> list:
    """The months of a July already collected that the agency offset (江苏省实施方案（2022）
    三（二）), read only where the quote carries such an offset."""
    if standing.quote is None or standing.quote.offset_against_later <= 0:
        return []
    return [r for r in done_for(employer.id) if r.kind == "july_offset"]


@bp.route("/schedule.csv")
@permission(EMPLOYER_FINANCE)
def schedule_csv(employer):
    standing = _standing_with_amounts(employer)
    if standing is None:
        return _nothing_deferred(employer)
    return _download(to_csv(schedule_table(standing)), "text/csv", employer, "csv")


@bp.route("/schedule.xlsx")
@permission(EMPLOYER_FINANCE)
def schedule_xlsx(employer):
    standing = _standing_with_amounts(employer)
    if standing is None:
        return _nothing_deferred(employer)
    return _download(to_xlsx(schedule_table(standing)), XLSX_MIMETYPE, employer, "xlsx")


@bp.route("/departures", methods=["GET", "POST"])
@permission(EMPLOYER_FINANCE)
def departure(employer):
    standing = _standing_with_amounts(employer)
    if standing is None:
        return _nothing_deferred(employer)
    people = persons(employer)
    form = DepartureForm()
    form.person_ref.choices = [SelectChoice(ref, f"{name} ({ref})") for ref, name in people.items()]
    if form.validate_on_submit():
        try:
            record_departure(
                employer,
                form.person_ref.data,
                form.reason.data,
                entered(form.left_on.data),
                today=standing.today,
                actor=current_user,
                earliest=date.fromisoformat(standing.period.start + "-01"),
                correct=form.correct.data,
            )
        except DepartureError as error:
            put_error(form, error)
        else:
            flash(
                _("Departure recorded. The amount due for that person is shown below."), "success"
            )
            return redirect(url_for("amounts.departure", employer_id=employer.id))
    return render_template(
        "amounts/departures.html",
        employer=employer,
        standing=standing,
        form=form,
        due=due_at_once(employer, standing).items,
        has_people=bool(people),
    )


def _standing_with_amounts(employer):
    """The standing, if something is deferred (a period, not opted out); else None."""
    standing = employer_standing(employer, today())
    if standing.period is None or standing.has_opted_out:
        return None
    return standing


def _nothing_deferred(employer) -> BaseResponse:
    """Nothing is deferred (the employer opted out, or fits no period): no schedule to
    download, no departure to record. Such links are only on a page left open from before
    (issue 28 item 15): the amounts page says why, instead of a bare 404."""
    if request.method == "POST":
        flash(_("Nothing is deferred, so the departure was not recorded."), "info")
    else:
        flash(
            _("Nothing is deferred, so there is no catch-up schedule and no departure to record."),
            "info",
        )
    return redirect(url_for("amounts.schedule", employer_id=employer.id))


def _what_if(standing, form) -> dict | None:
    pay_on = form.pay_on.data
    if pay_on < standing.today:
        form.pay_on.errors.append(_("Choose today or a later date"))
        return None
    latest = standing.calculator_latest
    if pay_on > latest:
        form.pay_on.errors.append(
            _("Choose a date up to %(date)s: the calculator looks no further", date=day(latest))
        )
        return None
    days = (
        rules.late_days(standing.quote.late_fee_from, pay_on)
        if pay_on > standing.quote.deadline
        else 0
    )
    return {"pay_on": pay_on, "fee": standing.quote.what_if(pay_on), "days": days}


def _download(content: bytes, mimetype: str, employer, extension: str) -> Response:
    filename = f"deferral-schedule-{employer.credit_code}.{extension}"
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
