"""``flask portal export tax-list`` and ``flask portal report monthly``: the pages' code, as a
command (acting as nobody, like the demo loader: the audit row's actor is empty)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup

from portal.core.extensions import db
from portal.core.tables import FORMATS, render
from portal.features.reports.monthly import monthly_report, monthly_table, report_of
from portal.features.reports.operations import (
    NotFinished,
    Unreconciled,
    export_tax_list,
    mark_monthly_sent,
    sent_monthly_report,
)
from portal.features.reports.queries import agency_by_code
from portal.features.reports.reconciliation import reconciliation, reconciliation_table
from portal.features.reports.wuxi_2020 import (
    annex_lines,
    reduction_statistics,
    statistics_table,
)
from portal.features.returns.files import worklist_table
from portal.features.returns.queries import worklist
from portal.models import Agency
from portal.rules.months import MONTH_RE, add_months
from portal.util import numbers
from portal.util.clock import today

export_cli = AppGroup("export", help="Files for other systems.")
report_cli = AppGroup("report", help="Reports.")


def _format_of(output: str) -> str:
    suffix = Path(output).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise click.BadParameter("end the file name with .csv or .xlsx", param_hint="--output")
    return suffix


def _agency(code: str | None) -> Agency | None:
    if code is None:
        return None
    agency = agency_by_code(code)
    if agency is None:
        raise click.BadParameter(f"no agency has the code {code!r}", param_hint="--agency")
    return agency


@export_cli.command("tax-list")
@click.option(
    "--on",
    "on",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The date of the list (YYYY-MM-DD).",
)
@click.option("--agency", "agency_code", help="One agency's code (default: every agency).")
@click.option(
    "--since-last",
    is_flag=True,
    help="Only rows new or changed since the bureau last received them (removals go either way).",
)
@click.option(
    "--monthly",
    is_flag=True,
    help="The monthly sharing (按月共享) made on --on: last month's list with last month's "
    "persons and amounts (on 2022-09-01, those of 2022-08); no removals.",
)
@click.option("--output", required=True, help="FILE.csv or FILE.xlsx")
def tax_list_command(
    on, agency_code: str | None, since_last: bool, monthly: bool, output: str
) -> None:
    """Write the 缓缴清单 for the tax bureau and record the export.

    Employers sent before that have left the list go once as removals (移出清单): a second
    sheet of an .xlsx, or FILE-removals.csv beside FILE.csv. With --monthly, the monthly
    sharing of 内医保办发〔2022〕19号 五 2 instead: the month before --on, for statistics.
    """
    file_format = _format_of(output)
    if monthly and since_last:
        raise click.BadParameter(
            "the monthly sharing is the whole list of last month: leave out --since-last",
            param_hint="--monthly",
        )
    exported = export_tax_list(
        on.date(),
        agency=_agency(agency_code),
        since_last=since_last,
        file_format=file_format,
        actor=None,
        monthly=monthly,
    )
    Path(output).write_bytes(exported.content)
    removals_path = None
    if exported.removals is not None:  # a .csv: the removals (移出清单) go in a file of their own
        removals_path = Path(output).with_name(Path(output).stem + "-removals.csv")
        removals_path.write_bytes(exported.removals)
    db.session.commit()
    export = exported.export
    click.echo(f"{output}: {export.row_count} rows, sha256 {export.file_sha256}")
    if export.removal_count and removals_path is not None:
        click.echo(
            f"{removals_path}: {export.removal_count} removals (移出清单), "
            f"sha256 {export.removals_sha256}"
        )
    elif export.removal_count:
        click.echo(f"{output}: {export.removal_count} removals in the sheet 移出清单")


@report_cli.command("monthly")
@click.option("--month", required=True, help="The month (YYYY-MM).")
@click.option("--agency", "agency_code", help="One agency's code (default: every agency).")
@click.option("--output", required=True, help="FILE.csv or FILE.xlsx")
@click.option(
    "--mark-sent",
    is_flag=True,
    help="Store the report as sent (按月共享): from then on it is shown as sent, never recomputed.",
)
def monthly_command(month: str, agency_code: str | None, output: str, mark_sent: bool) -> None:
    """Write the monthly deferral report: the one sent, once it is marked as sent."""
    file_format = _format_of(output)
    if not MONTH_RE.match(month):
        raise click.BadParameter("write the month as YYYY-MM", param_hint="--month")
    if date.fromisoformat(f"{month}-01") > today():
        raise click.BadParameter("the month has not begun", param_hint="--month")
    agency = _agency(agency_code)
    # The headers in the default language: a request of its own, with no session to choose.
    with current_app.test_request_context():
        if mark_sent:
            try:
                mark_monthly_sent(month, agency=agency, actor=None)
            except NotFinished as error:
                raise click.BadParameter(
                    "the month has not ended: send its report from the 1st of next month",
                    param_hint="--mark-sent",
                ) from error
            except Unreconciled as error:
                raise click.ClickException(
                    f"the tax bureau's collected figures of {month} differ from the portal's in "
                    f"{error.differences} places: see the reconciliation "
                    "(/reports/reconciliation) and resolve them before marking the report as sent"
                ) from error
            db.session.commit()
        sent = sent_monthly_report(month, agency)
        if sent is not None:
            report = report_of(sent.figures, agency)
            content = sent.file_bytes if file_format == "xlsx" else None
        else:
            report = monthly_report(month, today(), agency_id=agency.id if agency else None)
            content = None
        if content is None:
            content = render(monthly_table(report), file_format)
    Path(output).write_bytes(content)
    click.echo(f"{output}: {len(report.lines)} agencies, as of {report.as_of.isoformat()}")
    if sent is not None:
        by = sent.sent_by.username if sent.sent_by is not None else "a command"
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        at = sent.sent_at.astimezone(zone).isoformat(timespec="seconds")
        click.echo(f"as sent on {at} by {by}")


@report_cli.command("reconciliation")
@click.option("--month", required=True, help="The month (YYYY-MM).")
@click.option("--agency", "agency_code", help="One agency's code (default: every agency).")
@click.option("--output", required=True, help="FILE.csv or FILE.xlsx")
def reconciliation_command(month: str, agency_code: str | None, output: str) -> None:
    """Write the reconciliation with the tax bureau's collected figures, as the page shows it.

    Exit 0 when the figures agree (or none of the month were imported), 1 when they differ.
    """
    file_format = _format_of(output)
    if not MONTH_RE.match(month):
        raise click.BadParameter("write the month as YYYY-MM", param_hint="--month")
    if date.fromisoformat(f"{month}-01") > today():
        raise click.BadParameter("the month has not begun", param_hint="--month")
    agency = _agency(agency_code)
    with current_app.test_request_context():  # the headers in the default language
        result = reconciliation(month, today(), agency_id=agency.id if agency else None)
        Path(output).write_bytes(render(reconciliation_table(result), file_format))
    db.session.rollback()  # read only: the comparison changes nothing
    if not result.has_collections:
        click.echo(f"{output}: no collected figures of {month} imported, nothing compared")
    else:
        click.echo(
            f"{output}: {len(result.rows)} differing figures, as of {result.as_of.isoformat()}"
        )
    sys.exit(1 if result.rows else 0)


def _wan_yuan(text: str | None, option: str):
    """A fund figure in 万元 typed on the command line, parsed by ``portal.util.numbers``."""
    if text is None:
        return None
    try:
        return numbers.parse_decimal(text, max_digits=12, max_places=2, grouping=True)
    except numbers.NumberError as error:
        raise click.BadParameter(
            "write an amount in 万元, like 12345.67", param_hint=option
        ) from error


@report_cli.command("wuxi-2020")
@click.option("--month", required=True, help="The month of the report, 报送时间 (YYYY-MM).")
@click.option("--agency", "agency_code", help="One agency's code (default: every agency).")
@click.option("--balance", help="截至上月底基金累计结余 (万元).")
@click.option("--income", help="上月基金收入 (万元).")
@click.option("--expenditure", help="上月基金支出 (万元).")
@click.option("--output", required=True, help="FILE.xlsx")
def wuxi_statistics_command(
    month: str,
    agency_code: str | None,
    balance: str | None,
    income: str | None,
    expenditure: str | None,
    output: str,
) -> None:
    """Write the 附表 of 锡医保服务〔2020〕11号 三（六）, as the page does."""
    if _format_of(output) != "xlsx":
        raise click.BadParameter("end the file name with .xlsx", param_hint="--output")
    if not MONTH_RE.match(month):
        raise click.BadParameter("write the month as YYYY-MM", param_hint="--month")
    agency = _agency(agency_code)
    fund = {
        "balance": _wan_yuan(balance, "--balance"),
        "income": _wan_yuan(income, "--income"),
        "expenditure": _wan_yuan(expenditure, "--expenditure"),
    }
    rows = reduction_statistics(month, agency_id=agency.id if agency else None)
    # 填报单位, 报送时间 (today), 填报人, 联系电话 and 手机号码: the agency's, blank without one
    table = statistics_table(rows, fund, annex_lines(agency, today()))
    Path(output).write_bytes(render(table, "xlsx"))
    click.echo(f"{output}: {len(rows)} regions, through {add_months(month, -1)}")


@export_cli.command("returns")
@click.option("--agency", "agency_code", help="One agency's code (default: every agency).")
@click.option("--output", required=True, help="FILE.csv or FILE.xlsx")
def returns_command(agency_code: str | None, output: str) -> None:
    """Write the refunds and offsets to carry out, as the worklist page's download does."""
    file_format = _format_of(output)
    agency = _agency(agency_code)
    items = worklist(today(), agency_id=agency.id if agency else None)
    Path(output).write_bytes(render(worklist_table(items), file_format))
    waiting = sum(1 for i in items if not i.is_done)
    click.echo(f"{output}: {len(items)} rows, {waiting} not done")
