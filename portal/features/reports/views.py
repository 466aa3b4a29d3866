from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from portal.core.extensions import db
from portal.features.reports import bp
from portal.features.reports.forms import (
    MonthlyReportForm,
    SendReportForm,
    StatisticsForm,
    TaxListForm,
)
from portal.features.reports.jobs import start_file, start_tax_list
from portal.features.reports.monthly import (
    MonthlyReport,
    bar_chart,
    monthly_report,
    report_of,
)
from portal.features.reports.operations import (
    NotFinished,
    Unreconciled,
    mark_monthly_sent,
    sent_monthly_report,
)
from portal.features.reports.queries import agencies, scoped_agency_or_404
from portal.features.reports.reconciliation import kind_label
from portal.features.reports.reconciliation import reconciliation as reconciliation_of
from portal.features.reports.tax_list import tax_list_summary
from portal.features.reports.wuxi_2020 import (
    STATISTICS_HEADERS,
    AnnexLines,
    annex_lines,
    reduction_statistics,
    statistics_cells,
)
from portal.models import Agency, SentMonthlyReport
from portal.rules.months import add_months, last_day
from portal.util.clock import today
from portal.web.forms import ConfirmForm, SelectChoice, entered
from portal.web.permissions import BACK_OFFICE, agency_scope, permission


def _agency_choices(form_field, scope: int | None) -> None:
    """Administrators choose an agency or all of them; reviewers have their own only."""
    choices = [SelectChoice(a.code, f"{a.name} ({a.code})") for a in agencies(scope)]
    if scope is None:
        choices.insert(0, SelectChoice("", _("Every agency")))
    form_field.choices = choices


def _file_job(kind: str, params: dict[str, Any], agency: Agency | None) -> Response:
    """Start the job that makes a file (portal/features/reports/jobs.py) over ``agency``, in
    the staff member's scope; the answer is the job's page, which offers the file."""
    job = start_file(kind, params, agency=agency, actor=current_user)
    return redirect(url_for("jobs.show", job_id=job.id))


def _to_page(endpoint: str) -> Response:
    """A file's old address, opened by a link or a bookmark: its page with the same filters,
    whose button makes the file (a GET changes nothing)."""
    query: dict[str, Any] = request.args.to_dict()
    return redirect(url_for(endpoint, **query), code=303)


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
    summary = tax_list_summary(form.on.data or today(), agency_id=scope)
    return render_template(
        "reports/tax_list.html",
        form=form,
        awaiting=summary.awaiting,
        removals=summary.removals,
        removal_count=summary.removal_count,
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
        download_form=ConfirmForm(),
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
    """The month's report as a file, made by a job (the sent report's .xlsx is the very file
    sent)."""
    if request.method == "GET":
        return _to_page("reports.monthly")
    form, agency = _monthly_form(request.form)
    if not (form.validate() and ConfirmForm().validate_on_submit()):
        return _render_monthly(form, agency, None, None, 400)
    params = {"month": f"{form.month.data:%Y-%m}", "file_format": file_format}
    return _file_job("reports.monthly_file", params, agency)


@bp.route("/monthly.csv", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def monthly_csv():
    return _monthly_file("csv")


@bp.route("/monthly.xlsx", methods=["GET", "POST"])
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
    return _render_reconciliation(form, agency)


def _render_reconciliation(form: MonthlyReportForm, agency: Agency | None) -> tuple[str, int]:
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
        download_form=ConfirmForm(),
    ), (200 if result is not None else 400)


def _reconciliation_file(file_format: str) -> Response | tuple[str, int]:
    """The reconciliation as a file, made by a job."""
    if request.method == "GET":
        return _to_page("reports.reconciliation")
    form, agency = _monthly_form(request.form)
    if not (form.validate() and ConfirmForm().validate_on_submit()):
        page, _status = _render_reconciliation(form, agency)
        return page, 400
    params = {"month": f"{form.month.data:%Y-%m}", "file_format": file_format}
    return _file_job("reports.reconciliation_file", params, agency)


@bp.route("/reconciliation.csv", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def reconciliation_csv():
    return _reconciliation_file("csv")


@bp.route("/reconciliation.xlsx", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def reconciliation_xlsx():
    return _reconciliation_file("xlsx")


FUND_FIELDS = ("balance", "income", "expenditure")


def _statistics_form(source=None) -> StatisticsForm:
    """The 附表's month (default: this month) and fund figures, from the query string."""
    args = (request.args if source is None else source).to_dict()
    args.setdefault("month", f"{today():%Y-%m}")
    return StatisticsForm(formdata=MultiDict(args))


def _statistics():
    """The form from the query string and the rows in the user's scope."""
    form = _statistics_form()
    if not form.validate():
        return form, None, {}
    fund = {name: getattr(form, name).data for name in FUND_FIELDS}
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
    return _render_wuxi_2020(form, rows, fund)


def _render_wuxi_2020(form: StatisticsForm, rows, fund) -> tuple[str, int]:
    return render_template(
        "reports/wuxi_2020.html",
        form=form,
        headers=STATISTICS_HEADERS,
        cells=[statistics_cells(r, fund, i) for i, r in enumerate(rows or [], start=1)],
        rows=rows,
        lines=_annex_lines(),
        query={k: v for k, v in request.args.items() if k in ("month", *FUND_FIELDS)},
        download_form=ConfirmForm(),
    ), (400 if form.errors else 200)


@bp.route("/wuxi-2020.xlsx", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def wuxi_2020_xlsx():
    """The 附表 as an .xlsx, made by a job over the staff member's agency (or every one)."""
    if request.method == "GET":
        return _to_page("reports.wuxi_2020")
    form = _statistics_form(request.form)
    if not (form.validate() and ConfirmForm().validate_on_submit()):
        return _render_wuxi_2020(form, None, {})
    scope = agency_scope(current_user)
    params = {
        "month": f"{form.month.data:%Y-%m}",
        "fund": {
            name: str(value) if (value := getattr(form, name).data) is not None else None
            for name in FUND_FIELDS
        },
    }
    agency = db.session.get(Agency, scope) if scope is not None else None
    return _file_job("reports.wuxi_2020_file", params, agency)
