from __future__ import annotations

import re
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from portal.core.extensions import db
from portal.core.tables import mimetype, render
from portal.features.reports import bp
from portal.features.reports.forms import (
    MonthlyReportForm,
    SendReportForm,
    StatisticsForm,
    TaxListForm,
)
from portal.features.reports.jobs import start_tax_list
from portal.features.reports.monthly import (
    MonthlyReport,
    bar_chart,
    monthly_report,
    monthly_table,
    report_of,
)
from portal.features.reports.operations import (
    NotFinished,
    Unreconciled,
    mark_monthly_sent,
    sent_monthly_report,
)
from portal.features.reports.queries import agencies, scoped_agency_or_404
from portal.features.reports.reconciliation import (
    kind_label,
    reconciliation_table,
)
from portal.features.reports.reconciliation import reconciliation as reconciliation_of
from portal.features.reports.tax_list import AWAITING_SHOWN, awaiting_of, tax_list_state
from portal.features.reports.wuxi_2020 import (
    STATISTICS_HEADERS,
    AnnexLines,
    annex_lines,
    reduction_statistics,
    statistics_cells,
    statistics_table,
)
from portal.models import Agency, SentMonthlyReport
from portal.rules.months import add_months, last_day
from portal.util.clock import today
from portal.web.forms import SelectChoice, entered
from portal.web.permissions import BACK_OFFICE, agency_scope, permission


def _agency_choices(form_field, scope: int | None) -> None:
    """Administrators choose an agency or all of them; reviewers have their own only."""
    choices = [SelectChoice(a.code, f"{a.name} ({a.code})") for a in agencies(scope)]
    if scope is None:
        choices.insert(0, SelectChoice("", _("Every agency")))
    form_field.choices = choices


def _download(content: bytes, filename: str, file_format: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(
        content,
        headers={
            "Content-Type": mimetype(file_format),
            "Content-Disposition": f'attachment; filename="{safe}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.route("/tax-list", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def tax_list():
    scope = agency_scope(current_user)
    form = TaxListForm(on=today())
    _agency_choices(form.agency, scope)
    if form.validate_on_submit():
        # Built by a job (portal/core/jobs.py): the page answers at once with the job's page,
        # which offers the file when it is made. A form sent twice gets the same job.
        job = start_tax_list(
            entered(form.on.data),
            agency=scoped_agency_or_404(form.agency.data, scope),
            since_last=form.since_last.data,
            file_format=form.file_format.data,
            actor=current_user,
            monthly=form.monthly.data,
        )
        return redirect(url_for("jobs.show", job_id=job.id))
    return _render_tax_list(form, scope)


def _render_tax_list(form: TaxListForm, scope: int | None) -> str:
    """The form; the rows of the list's date (today if none) still awaiting their assessment
    in the staff member's scope, and the removals the next export carries."""
    state = tax_list_state(form.on.data or today(), agency_id=scope)
    return render_template(
        "reports/tax_list.html",
        form=form,
        awaiting=awaiting_of(state.rows, state.month),
        removals=state.removals[:AWAITING_SHOWN],
        removal_count=len(state.removals),
    )


def _monthly_form(source=None) -> tuple[MonthlyReportForm, Agency | None]:
    """The filters from the query string (default: last month), and the agency in scope.

    :raise 404: for an agency outside the staff member's scope.
    """
    scope = agency_scope(current_user)
    args = (request.args if source is None else source).to_dict()
    args.pop("csrf_token", None)
    args.setdefault("month", add_months(f"{today():%Y-%m}", -1))
    form = MonthlyReportForm(data=None, formdata=MultiDict(args), today=today())
    _agency_choices(form.agency, scope)
    return form, scoped_agency_or_404(args.get("agency"), scope)


def _report(
    form: MonthlyReportForm, agency: Agency | None
) -> tuple[MonthlyReport, SentMonthlyReport | None]:
    """The month's report as it was sent, if it was (never recomputed), else as of today."""
    month = f"{form.month.data:%Y-%m}"
    sent = sent_monthly_report(month, agency)
    if sent is not None:
        return report_of(sent.figures, agency), sent
    agency_id = agency.id if agency is not None else None
    return monthly_report(month, today(), agency_id=agency_id), None


@bp.route("/monthly")
@permission(BACK_OFFICE)
def monthly():
    form, agency = _monthly_form()
    report, sent = _report(form, agency) if form.validate() else (None, None)
    return _render_monthly(form, agency, report, sent)


def _render_monthly(
    form: MonthlyReportForm,
    agency: Agency | None,
    report: MonthlyReport | None,
    sent: SentMonthlyReport | None,
    status: int = 200,
    unreconciled: Unreconciled | None = None,
) -> tuple[str, int]:
    chart = bar_chart(report.bars) if report is not None else None
    query = {}
    if report is not None:
        query = {"month": report.month, **({"agency": agency.code} if agency else {})}
    finished = report is not None and report.as_of >= last_day(report.month)
    return render_template(
        "reports/monthly.html",
        form=form,
        report=report,
        chart=chart,
        query=query,
        sent=sent,
        send_form=SendReportForm() if finished and sent is None else None,
        unreconciled=unreconciled,
    ), status


@bp.route("/monthly/sent", methods=["POST"])
@permission(BACK_OFFICE)
def monthly_sent():
    """Mark the month's report as sent (按月共享): stored as it stands, shown so from then on."""
    form, agency = _monthly_form(request.form)
    if not (form.validate() and SendReportForm().validate_on_submit()):
        return _render_monthly(form, agency, None, None, 400)
    month = f"{form.month.data:%Y-%m}"
    try:
        _sent, new = mark_monthly_sent(month, agency=agency, actor=current_user)
    except NotFinished:
        report, sent = _report(form, agency)
        flash(_("The month has not ended: its report can be sent from the 1st of next month."))
        return _render_monthly(form, agency, report, sent, 400)
    except Unreconciled as error:
        report, sent = _report(form, agency)
        return _render_monthly(form, agency, report, sent, 400, unreconciled=error)
    if new:
        flash(_("The report of %(month)s is stored as sent.", month=month))
    query: dict[str, Any] = {"month": month, **({"agency": agency.code} if agency else {})}
    return redirect(url_for("reports.monthly", **query), code=303)


def _monthly_file(file_format: str) -> Response | tuple[str, int]:
    form, agency = _monthly_form()
    if not form.validate():
        return _render_monthly(form, agency, None, None, 400)
    report, sent = _report(form, agency)
    if sent is not None and file_format == "xlsx":
        return _download(sent.file_bytes, sent.file_name, "xlsx")  # the very file sent
    scope = agency.code if agency is not None else "all"
    filename = f"deferral-report-{scope}-{report.month}.{file_format}"
    return _download(render(monthly_table(report), file_format), filename, file_format)


@bp.route("/monthly.csv")
@permission(BACK_OFFICE)
def monthly_csv():
    return _monthly_file("csv")


@bp.route("/monthly.xlsx")
@permission(BACK_OFFICE)
def monthly_xlsx():
    return _monthly_file("xlsx")


def _reconciliation_query(form: MonthlyReportForm, agency: Agency | None) -> dict[str, str]:
    return {"month": f"{form.month.data:%Y-%m}", **({"agency": agency.code} if agency else {})}


@bp.route("/reconciliation")
@permission(BACK_OFFICE)
def reconciliation():
    """The month's figures against the tax bureau's collected ones (鲁医保发〔2022〕21号 六)."""
    form, agency = _monthly_form()
    result = None
    if form.validate():
        agency_id = agency.id if agency is not None else None
        result = reconciliation_of(f"{form.month.data:%Y-%m}", today(), agency_id=agency_id)
    return render_template(
        "reports/reconciliation.html",
        form=form,
        result=result,
        kind_label=kind_label,
        query=_reconciliation_query(form, agency) if result is not None else {},
    ), (200 if result is not None else 400)


def _reconciliation_file(file_format: str) -> Response | tuple[str, int]:
    form, agency = _monthly_form()
    if not form.validate():
        return reconciliation()
    month = f"{form.month.data:%Y-%m}"
    result = reconciliation_of(month, today(), agency_id=agency.id if agency is not None else None)
    scope = agency.code if agency is not None else "all"
    filename = f"reconciliation-{scope}-{month}.{file_format}"
    return _download(render(reconciliation_table(result), file_format), filename, file_format)


@bp.route("/reconciliation.csv")
@permission(BACK_OFFICE)
def reconciliation_csv():
    return _reconciliation_file("csv")


@bp.route("/reconciliation.xlsx")
@permission(BACK_OFFICE)
def reconciliation_xlsx():
    return _reconciliation_file("xlsx")


def _statistics():
    """The form from the query string (default: this month) and the rows in the user's scope."""
    args = request.args.to_dict()
    args.setdefault("month", f"{today():%Y-%m}")
    form = StatisticsForm(formdata=MultiDict(args))
    if not form.validate():
        return form, None, {}
    fund = {name: getattr(form, name).data for name in ("balance", "income", "expenditure")}
    rows = reduction_statistics(f"{form.month.data:%Y-%m}", agency_id=agency_scope(current_user))
    return form, rows, fund


def _annex_lines() -> AnnexLines:
    """The 附表's header and footer from the staff member's agency (none for every agency)."""
    scope = agency_scope(current_user)
    return annex_lines(db.session.get(Agency, scope) if scope is not None else None, today())


@bp.route("/wuxi-2020")
@permission(BACK_OFFICE)
def wuxi_2020():
    form, rows, fund = _statistics()
    return render_template(
        "reports/wuxi_2020.html",
        form=form,
        headers=STATISTICS_HEADERS,
        cells=[statistics_cells(r, fund, i) for i, r in enumerate(rows or [], start=1)],
        rows=rows,
        lines=_annex_lines(),
        query=request.args.to_dict(),
    ), (400 if form.errors else 200)


@bp.route("/wuxi-2020.xlsx")
@permission(BACK_OFFICE)
def wuxi_2020_xlsx():
    form, rows, fund = _statistics()
    if rows is None:
        return wuxi_2020()
    filename = f"wuxi-2020-statistics-{form.month.data:%Y-%m}.xlsx"
    table = statistics_table(rows, fund, _annex_lines())
    return _download(render(table, "xlsx"), filename, "xlsx")
