"""``flask rules``: classify, quote and check the policy files from the command line."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, overload

import click
from flask.cli import AppGroup

from portal import rules

rules_cli = AppGroup("rules", help="Apply and check the program rules (portal.rules).")


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


@overload
def _decimal(text: str, name: str) -> Decimal: ...
@overload
def _decimal(text: None, name: str) -> None: ...
def _decimal(text: str | None, name: str) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise click.BadParameter(f"{text!r} is not a number", param_hint=name) from None


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=name) from None


def _fail(exc: rules.RulesError, as_json: bool) -> NoReturn:
    if as_json:
        click.echo(json.dumps({"error": exc.code, "message": str(exc)}, ensure_ascii=False))
    else:
        click.echo(f"Error ({exc.code}): {exc}", err=True)
    raise SystemExit(1)


@rules_cli.command("classify")
@click.argument("industry")
@click.option("--employees", type=int, help="从业人员 (persons)")
@click.option("--revenue", help="营业收入 in 万元")
@click.option("--assets", help="资产总额 in 万元")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def classify_command(
    industry: str, employees: int | None, revenue: str | None, assets: str | None, as_json: bool
) -> None:
    """Classify an enterprise by size (工信部联企业〔2011〕300号 第四条)."""
    try:
        if industry not in rules.INDUSTRIES:
            industry = rules.industry_for_code(industry).industry or industry
        result = rules.classify(
            industry,
            employees=employees,
            revenue=_decimal(revenue, "--revenue"),
            assets=_decimal(assets, "--assets"),
        )
    except rules.RulesError as exc:
        _fail(exc, as_json)
    if as_json:
        click.echo(json.dumps(_plain(result), ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.size}  ({result.clause})")
    for line in result.explanation + result.hints:
        click.echo(f"  {line}")


@rules_cli.command("quote")
@click.argument("program_id")
@click.option("--monthly-amount", help="Unit amount of every deferred month (yuan).")
@click.option(
    "--month-amount",
    multiple=True,
    metavar="YYYY-MM=AMOUNT",
    help="Unit amount of one month; repeat for each month.",
)
@click.option(
    "--payment",
    multiple=True,
    metavar="YYYY-MM-DD=AMOUNT",
    help="A payment of deferred amounts; repeat for each.",
)
@click.option("--as-of", required=True, help="Quote as of this date (YYYY-MM-DD).")
@click.option("--july-paid", is_flag=True, help="July's contribution is already paid.")
@click.option("--chosen-start", help="Chosen first month where the program allows (YYYY-MM).")
@click.option("--first-insured-month", help="New business: first insured month (YYYY-MM).")
@click.option("--founded-month", help="New business: founding month (YYYY-MM).")
@click.option("--what-if", "what_if", help="Also give the late fee if paid on this date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def quote_command(
    program_id: str,
    monthly_amount: str | None,
    month_amount: tuple[str, ...],
    payment: tuple[str, ...],
    as_of: str,
    july_paid: bool,
    chosen_start: str | None,
    first_insured_month: str | None,
    founded_month: str | None,
    what_if: str | None,
    as_json: bool,
) -> None:
    """Catch-up amount, deadline and late fee for a 2022 deferral program."""
    if (monthly_amount is None) == (not month_amount):
        raise click.UsageError("Give either --monthly-amount or --month-amount (not both).")
    amounts: Decimal | dict[str, Decimal]
    if monthly_amount is not None:
        amounts = _decimal(monthly_amount, "--monthly-amount")
    else:
        amounts = {}
        for item in month_amount:
            month, _, value = item.partition("=")
            amounts[month] = _decimal(value, "--month-amount")
    payments = []
    for item in payment:
        day, _, value = item.partition("=")
        payments.append((_date(day, "--payment"), _decimal(value, "--payment")))
    try:
        quote = rules.catchup_quote(
            program_id,
            monthly_unit_amount=amounts,
            july_paid=july_paid,
            chosen_start=chosen_start,
            first_insured_month=first_insured_month,
            founded_month=founded_month,
            payments=payments,
            as_of=_date(as_of, "--as-of"),
        )
        extra = quote.what_if(_date(what_if, "--what-if")) if what_if else None
    except rules.RulesError as exc:
        _fail(exc, as_json)
    if as_json:
        data = _plain(quote)
        if extra is not None:
            data["what_if"] = {"pay_on": what_if, "late_fee": str(extra)}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{quote.program_id}: {quote.period_start}..{quote.period_end}")
    click.echo(f"  deferred total  {quote.deferred_total}")
    click.echo(f"  deadline        {quote.deadline}  ({quote.refs['deadline']})")
    click.echo(f"  late fee from   {quote.late_fee_from}  ({quote.refs['late_fee_from']})")
    click.echo(f"  paid            {quote.paid}")
    click.echo(f"  outstanding     {quote.outstanding}")
    click.echo(f"  late fee        {quote.late_fee}  (as of {quote.as_of})")
    if extra is not None:
        click.echo(f"  if paid {what_if}: late fee {extra}")
    for note in quote.notes:
        click.echo(f"  note: {note}")


@rules_cli.command("check")
@click.option(
    "--path",
    "path",
    type=click.Path(file_okay=False),
    help="Check a copy of the policy files in this directory instead.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def check_command(path: str | None, as_json: bool) -> None:
    """Validate every policy file; exit 1 naming the file and key of each problem."""
    report = rules.check_policy_files(path)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "checked": report.checked,
                    "errors": [
                        {"file": e.file, "key": e.key, "problem": e.problem, "message": str(e)}
                        for e in report.errors
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for error in report.errors:
            click.echo(f"ERROR {error}", err=True)
        click.echo(f"{len(report.checked)} file(s) valid, {len(report.errors)} problem(s).")
    if not report.ok:
        raise SystemExit(1)
