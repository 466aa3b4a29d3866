from __future__ import annotations

import re

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from portal.core.tables import mimetype, render
from portal.features.reports import bp
from portal.features.reports.forms import MonthlyReportForm, StatisticsForm, TaxListForm
from portal.features.reports.monthly import MonthlyReport, bar_chart, monthly_report, monthly_table
from portal.features.reports.operations import export_tax_list
from portal.features.reports.queries import agencies, scoped_agency_or_404
from portal.features.reports.tax_list import AWAITING_SHOWN, awaiting_of, tax_list_state
from portal.features.reports.wuxi_2020 import (
    STATISTICS_HEADERS,
    reduction_statistics,
    statistics_cells,
    statistics_table,
)
from portal.models import Agency
from portal.rules.months import add_months
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
        exported = export_tax_list(
            entered(form.on.data),
            agency=scoped_agency_or_404(form.agency.data, scope),
            since_last=form.since_last.data,
            file_format=form.file_format.data,
            actor=current_user,
        )
        return _download(*exported.download())
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


def _monthly_form() -> tuple[MonthlyReportForm, Agency | None]:
    """The filters from the query string (default: last month), and the agency in scope.

    :raise 404: for an agency outside the staff member's scope.
    """
    scope = agency_scope(current_user)
    args = request.args.to_dict()
    args.setdefault("month", add_months(f"{today():%Y-%m}", -1))
    form = MonthlyReportForm(data=None, formdata=MultiDict(args), today=today())
    _agency_choices(form.agency, scope)
    return form, scoped_agency_or_404(args.get("agency"), scope)


def _report(form: MonthlyReportForm, agency: Agency | None) -> MonthlyReport:
    agency_id = agency.id if agency is not None else None
    return monthly_report(f"{form.month.data:%Y-%m}", today(), agency_id=agency_id)


@bp.route("/monthly")
@permission(BACK_OFFICE)
def monthly():
    form, agency = _monthly_form()
    report = _report(form, agency) if form.validate() else None
    chart = bar_chart(report.bars) if report is not None else None
    query = {}
    if report is not None:
        query = {"month": report.month, **({"agency": agency.code} if agency else {})}
    return render_template(
        "reports/monthly.html", form=form, report=report, chart=chart, query=query
    )


def _monthly_file(file_format: str) -> Response | tuple[str, int]:
    form, agency = _monthly_form()
    if not form.validate():
        return render_template(
            "reports/monthly.html", form=form, report=None, chart=None, query={}
        ), 400
    report = _report(form, agency)
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
        query=request.args.to_dict(),
    ), (400 if form.errors else 200)


@bp.route("/wuxi-2020.xlsx")
@permission(BACK_OFFICE)
def wuxi_2020_xlsx():
    form, rows, fund = _statistics()
    if rows is None:
        return wuxi_2020()
    filename = f"wuxi-2020-statistics-{form.month.data:%Y-%m}.xlsx"
    return _download(render(statistics_table(rows, fund), "xlsx"), filename, "xlsx")
