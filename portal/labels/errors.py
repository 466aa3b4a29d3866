"""One message per domain-error code, and one way to put an error on a form.

Operations raise ``DomainError(code, field)`` subclasses (portal/rules/errors.py) and never
word them; a view calls ``put_error(form, error)`` (or ``error_message(error)`` for a flash or
a page), which finds the message by ``"<kind>.<code>"``, then ``"<kind>.*"`` (the kind's
default), then the generic refusal. Figures and clauses come from ``error.details`` or from the
program passed in, never from a literal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from portal.labels.held import held_column_label, held_value_label
from portal.rules.employer_facts import facts_policy
from portal.rules.errors import DomainError
from portal.util.formatting import day

Message = Callable[[DomainError, dict[str, Any]], str]


def _refusal_out_of_scope(error: DomainError, context: dict[str, Any]) -> str:
    program = context.get("program")
    ref = program.scope.excluded_unit_kinds.ref if program is not None else ""
    return _(
        "Government organs and public institutions (机关事业单位) cannot apply. The 2022 "
        "deferral covers small and medium-sized enterprises, unit-insured individual "
        "businesses and social organisations only (%(ref)s).",
        ref=ref,
    )


def _application_arrears(program: Any) -> str:
    """Arrears up to the month the program names, or all of them where its text sets no limit
    (聊医保发〔2022〕39号 一)."""
    arrears = program.arrears if program is not None else None
    if arrears is None or arrears.through_month is None:
        return _(
            "Your employer has unpaid contributions. Pay all of them first, whatever months they "
            "are for; then it can apply."
        )
    return _(
        "Your employer has unpaid contributions for %(month)s and earlier. Pay them first; then "
        "it can apply.",
        month=arrears.through_month.value,
    )


def _evidence_too_many(error: DomainError, context: dict[str, Any]) -> str:
    from portal.core.uploads import MAX_EVIDENCE_FILES

    return _(
        "You can attach at most %(n)s files. Remove one before adding another.",
        n=MAX_EVIDENCE_FILES,
    )


def _too_many_pixels(error: DomainError, context: dict[str, Any]) -> str:
    from portal.core.contents import MAX_PIXELS

    return _(
        "%(name)s has more than %(n)d million pixels. Scan or photograph it at a lower "
        "resolution and upload it again; nothing was saved.",
        name=_filename(error),
        n=MAX_PIXELS // 1_000_000,
    )


def _too_many_pixels_together(error: DomainError, context: dict[str, Any]) -> str:
    from portal.core.contents import MAX_PIXELS_PER_REQUEST

    pixels = int(str(error.details.get("pixels", 0)))
    return _(
        "Together these images have %(count)s million pixels; one upload can take at most "
        "%(n)d million. Upload them a few at a time, or scan or photograph them at a lower "
        "resolution; nothing was saved.",
        count=format_decimal(round(pixels / 1_000_000, 1)),
        n=MAX_PIXELS_PER_REQUEST // 1_000_000,
    )


def _filename(error: DomainError) -> str:
    return str(error.details.get("filename", ""))


def _date(error: DomainError, key: str) -> date | None:
    value = error.details.get(key)
    return value if isinstance(value, date) else None


def _held_stale(error: DomainError) -> str:
    column = str(error.details.get("column", ""))
    current, before = error.details.get("current"), error.details.get("before")
    return _(
        "The employer's %(column)s is now %(current)s, not %(before)s as when the list was "
        "imported: it changed meanwhile, so this change was not applied. Reject it, or import a "
        "current list.",
        column=held_column_label(column),
        current=held_value_label(column, current if isinstance(current, str) else None),
        before=held_value_label(column, before if isinstance(before, str) else None),
    )


def _july() -> str:
    """The month 7月是否已缴费 asks about (portal/rules/data/employer_facts.yaml)."""
    return facts_policy().july_month.value


def _facts(error: DomainError, message: str) -> str:
    """A message about two facts, saying so when the other one is the stored value."""
    if not error.details.get("stored"):
        return message
    return _(
        "%(message)s (the other value is the one stored: a blank cell keeps it)",
        message=message,
    )


def _static(message: Callable[[], str]) -> Message:
    return lambda error, context: message()


#: "<kind>.<code>" -> message; "<kind>.*" is the kind's message for any other code.
MESSAGES: dict[str, Message] = {
    # Commitment applications: who may apply (portal/rules/standing.py refusals)
    "application.listed": lambda error, context: (
        _(
            "Your employer is already on the deferral list, so it does not need to apply: it "
            "gets the deferral without applying (免申即享). Confirm or opt out on your home page."
        )
        if context.get("may_decide", True)
        else _(
            "Your employer is already on the deferral list, so it does not need to apply: it "
            "gets the deferral without applying (免申即享). The employer's owner can confirm or "
            "opt out on its home page."
        )
    ),
    "application.reduction_program": _static(
        lambda: _(
            "Your agency runs a 2020 program. The online commitment route belongs to the 2022 "
            "deferral programs; ask the service hall how to apply for a deferral."
        )
    ),
    "application.out_of_scope_unit_kind": _refusal_out_of_scope,
    "application.large_enterprise": _static(
        lambda: _(
            "From the figures you gave, this is a large enterprise under "
            "工信部联企业〔2011〕300号. The deferral covers only medium, small and micro "
            "enterprises, so it cannot apply. If a figure is wrong, change it."
        )
    ),
    "application.arrears": lambda error, context: _application_arrears(context.get("program")),
    "application.fund_reserve": _static(
        lambda: _(
            "Your pooling region's fund reserve is not above the level the program requires, "
            "so the deferral does not apply there."
        )
    ),
    "application.fund_reserve_unknown": _static(
        lambda: _(
            "The agency has not recorded your pooling region's fund reserve yet, so the "
            "deferral cannot be checked. Ask the service hall."
        )
    ),
    "application.*": lambda error, context: _(
        "You cannot apply: %(reason)s", reason=error.details.get("detail") or error.code
    ),
    # Evidence and scans (portal/core/uploads.py)
    "evidence.none": _static(lambda: _("Choose a file to upload")),
    "evidence.too_many": _evidence_too_many,
    "evidence.empty": lambda error, context: _(
        "%(name)s is empty. Choose the right file.", name=_filename(error)
    ),
    "evidence.too_large": lambda error, context: _(
        "%(name)s is larger than 10 MB. Upload a smaller file.", name=_filename(error)
    ),
    "evidence.active_content": lambda error, context: _(
        "%(name)s contains scripts, automatic actions, embedded files, or links that open "
        "programs, other files or addresses other than web pages. Print it to a new PDF, or "
        "scan the paper, and upload that; nothing was saved.",
        name=_filename(error),
    ),
    "evidence.encrypted": lambda error, context: _(
        "%(name)s needs a password to open, so a reviewer could not read it. Save or print "
        "it as a PDF without a password and upload that; nothing was saved.",
        name=_filename(error),
    ),
    "evidence.too_many_pixels": _too_many_pixels,
    "evidence.too_many_pixels_together": _too_many_pixels_together,
    "evidence.damaged": lambda error, context: _(
        "%(name)s cannot be opened: it may be damaged, or not really be a PDF, JPEG or PNG. "
        "Save it again and upload the new file; nothing was saved.",
        name=_filename(error),
    ),
    "evidence.*": lambda error, context: _(
        "%(name)s is not a PDF, JPEG or PNG file. Upload a PDF, JPEG or PNG; nothing was saved.",
        name=_filename(error),
    ),
    # Deferral decisions (portal/features/deferral/operations.py)
    "decision.choose": _static(
        lambda: _("Choose whether to defer, and for which period, or to opt out")
    ),
    "decision.not_listed": _static(
        lambda: _(
            "Your employer is not on the deferral list: apply with the commitment letter instead"
        )
    ),
    "decision.not_eligible": _static(lambda: _("Your employer cannot defer under this program")),
    "decision.closed": _static(
        lambda: _("The decision can no longer be changed. Early payment is always possible")
    ),
    "decision.period_closed": _static(
        lambda: _("That period can no longer be chosen. Choose one of the periods shown")
    ),
    "decision.changed": _static(
        lambda: _(
            "The decision was changed in another window or by someone else. "
            "Check the current decision below and choose again"
        )
    ),
    "decision.*": _static(
        lambda: _("Choose whether to defer, and for which period, or to opt out")
    ),
    # Departures (portal/features/amounts/operations.py)
    "departure.person": _static(lambda: _("Choose an insured person from the list")),
    "departure.reason": _static(lambda: _("Choose what happened")),
    "departure.future": _static(lambda: _("The date cannot be in the future")),
    "departure.recorded": _static(
        lambda: _(
            "A departure is already recorded for this person. To change it, tick “This "
            "corrects the departure already recorded for this person”"
        )
    ),
    "departure.before_period": lambda error, context: _(
        "The deferral starts on %(date)s: before then nothing was deferred for this person. "
        "Check the date",
        date=day(_date(error, "start")),
    ),
    # Reviewers' decisions (portal/features/review/operations.py)
    "review.own_filing": _static(
        lambda: _(
            "You filed this application at the service hall for the employer, so another "
            "reviewer must decide it."
        )
    ),
    "review.reason_required": _static(
        lambda: _("Enter the reason for the rejection: the employer reads it")
    ),
    "review.*": lambda error, context: _(
        "Another reviewer decided this application first (%(status)s by %(name)s). "
        "Your decision was not saved.",
        status=context.get("status", "—"),
        name=context.get("name", "—"),
    ),
    # Changes from the list held for the agency (portal/features/held/operations.py)
    "payment_queue.note_required": _static(
        lambda: _("Enter a note saying how the difference was dealt with")
    ),
    "payment_queue.already_resolved": _static(
        lambda: _(
            "This item is no longer in the queue as shown: someone resolved it, or a payment or "
            "an assessment changed it. Look at the queue again; your note was not saved."
        )
    ),
    "held.reason_required": _static(
        lambda: _("Enter the reason for your decision: it is kept with the change")
    ),
    "held.already_decided": lambda error, context: _(
        "This change was already decided (%(status)s by %(name)s on %(date)s). It cannot be "
        "decided again; your decision was not saved.",
        status=context.get("status", "—"),
        name=context.get("name", "—"),
        date=context.get("date", "—"),
    ),
    "held.stale": lambda error, context: _held_stale(error),
    # Refunds and offsets carried out (portal/features/returns/operations.py)
    "returns.reference_required": _static(
        lambda: _("Enter the bureau's or bank's reference for what was done")
    ),
    "returns.already_done": _static(
        lambda: _("This row was already marked done; it is shown with its reference below.")
    ),
    "returns.account_needed": _static(
        lambda: _(
            "No account is known for this refund: it can be done once the employer gives one "
            "or the list brings its refund account."
        )
    ),
    "returns.waiting": lambda error, context: _(
        "%(month)s is not assessed yet: the offset is done once the agency has assessed it.",
        month=str(error.details.get("month", "—")),
    ),
    # Other systems' access to the API (portal/features/api/operations.py)
    "api.name_missing": _static(lambda: _("Enter the name of the system the token is for")),
    "api.scope_missing": _static(lambda: _("Choose at least one thing the token may read")),
    "api.write_needed": _static(
        lambda: _("Tick “May write”: the payment returns are sent to the portal, not read")
    ),
    "api.expiry_out_of_range": _static(
        lambda: _("Choose an expiry date from today to two years from now")
    ),
    "api.client_unavailable": _static(
        lambda: _("Choose a system from the list: this one cannot read standings any more")
    ),
    "api.until_out_of_range": _static(
        lambda: _("Choose an end date from today to two years from now")
    ),
    # Visitors at the service hall (portal/features/hall/operations.py)
    "visitor.name_missing": _static(
        lambda: _("Enter the visitor's full name, as on the identity card")
    ),
    "visitor.id_length": _static(
        lambda: _(
            "An identity card number has 18 characters. Check the number on the card and "
            "enter all of it"
        )
    ),
    "visitor.id_format": _static(
        lambda: _("Enter the first 17 characters as digits; only the last character can be X")
    ),
    "visitor.id_checksum": _static(
        lambda: _(
            "The last character does not match the rest of the number. Check the number on the card"
        )
    ),
    "visitor.id_component": _static(
        lambda: _(
            "The number contains a birth date or region code that does not exist. Check the "
            "number on the card"
        )
    ),
    "visitor.capacity_missing": _static(
        lambda: _("Choose whether the visitor is the legal representative or an agent")
    ),
    "visitor.letter_missing": _static(
        lambda: _("Upload the scanned letter of authority: an agent needs one")
    ),
    # Paper signatures at the hall
    "paper.name_missing": _static(
        lambda: _("Enter the name of the legal representative who signed the letter")
    ),
    "paper.future": _static(
        lambda: _("The date on the letter cannot be after today. Check the date")
    ),
    "paper.hall_elsewhere": _static(
        lambda: _("Choose one of your agency's service halls: the letter was handed in there")
    ),
    "paper.*": _static(lambda: _("The application cannot be signed now. Check its answers first")),
    # Accounts
    "auth.username_taken": _static(lambda: _("That username is taken. Choose another")),
    "auth.*": _static(
        lambda: _(
            "The code and credit code do not match a valid activation code. Codes can be used "
            "once and expire after 14 days: ask the service hall for a new one"
        )
    ),
    "staff_user.username_taken": _static(lambda: _("That username is taken. Choose another")),
    # Reference data (portal/features/reference)
    "reference.agency_code_taken": lambda error, context: _(
        "Another agency has the code %(code)s. Check the code: each agency has its own",
        code=error.details.get("agency_code", ""),
    ),
    "reference.region_code_taken": lambda error, context: _(
        "The pooling region %(code)s exists already, as %(name)s: choose it from the list",
        code=error.details.get("region_code", ""),
        name=error.details.get("name", ""),
    ),
    "reference.region_code_unknown": lambda error, context: _(
        "No province has a region code starting %(digits)s. Enter the region's 6-digit "
        "administrative code, like 371500",
        digits=str(error.details.get("region_code", ""))[:2],
    ),
    "reference.region_unknown": _static(lambda: _("Choose the agency's pooling region")),
    "reference.month_taken": lambda error, context: _(
        "%(month)s has a figure already (%(value)s). To change it, choose it in the list "
        "and change it there",
        month=error.details.get("month", ""),
        value=error.details.get("value", ""),
    ),
    "member.cannot_remove_owner": _static(lambda: _("The owner cannot be removed.")),
    "reminders.confirmation_expired": _static(
        lambda: _(
            "This link is too old. Sign in and give your e-mail address again: we will send "
            "a new link"
        )
    ),
    "reminders.*": _static(
        lambda: _(
            "This link does not confirm any address: it is incomplete, or the address was "
            "changed since. Use the link in the latest message, or sign in and give the "
            "address again"
        )
    ),
    # Imports: a cell (portal/features/imports/cells.py, kinds/), the file (reader.py), the import
    "import_cell.required": _static(lambda: _("Fill in this cell")),
    "import_cell.control_characters": _static(
        lambda: _("Remove the control characters from this cell")
    ),
    "import_cell.too_long": lambda error, context: _(
        "Shorten this cell to at most %(limit)s characters", limit=error.details.get("limit")
    ),
    "import_cell.credit_code_checksum": _static(
        lambda: _("The check character does not match: probably a typo")
    ),
    "import_cell.credit_code_format": _static(
        lambda: _("Enter the 18-character unified social credit code")
    ),
    "import_cell.yes_no": _static(lambda: _("Enter 是 or 否")),
    "import_cell.size_class": _static(lambda: _("Enter 大型, 中型, 小型 or 微型")),
    "import_cell.payment_part": _static(
        lambda: _(
            "Enter 单位 for the unit part or 个人 for the personal part: the part a payment is "
            "for is not guessed"
        )
    ),
    "import_cell.payment_insurance": _static(
        lambda: _("Enter 医疗 or 生育, or leave 险种 blank where the bureau does not split them")
    ),
    "import_cell.unit_kind": _static(lambda: _("Enter 企业, 个体工商户, 社会组织 or 机关事业单位")),
    "import_cell.industry": _static(
        lambda: _(
            "Enter one of the 16 industries of 工信部联企业〔2011〕300号 or a GB/T 4754-2017 code"
        )
    ),
    "import_cell.month": _static(lambda: _("Enter the month as YYYYMM or YYYY-MM")),
    "import_cell.day": _static(lambda: _("Enter the date as YYYY-MM-DD or YYYYMMDD")),
    "import_cell.day_range": lambda error, context: _(
        "Enter a date from %(first)s to %(last)s",
        first=error.details.get("first"),
        last=error.details.get("last"),
    ),
    "import_cell.account": _static(
        lambda: _("Enter the account number in digits (spaces between groups are fine)")
    ),
    "import_cell.account_length": lambda error, context: _(
        "Enter an account number of %(low)s to %(high)s digits",
        low=error.details.get("low"),
        high=error.details.get("high"),
    ),
    # Facts that cannot all be true (portal/rules/employer_facts.py)
    "import_cell.july_paid_before_founded": lambda error, context: _facts(
        error,
        _(
            "成立年月 is %(month)s, after %(july)s: an employer founded then cannot have paid "
            "the contribution of %(july)s. Correct 7月是否已缴费 or 成立年月",
            month=error.details.get("month"),
            july=_july(),
        ),
    ),
    "import_cell.july_paid_before_insured": lambda error, context: _facts(
        error,
        _(
            "参保年月 is %(month)s, after %(july)s: an employer first insured then cannot have "
            "paid the contribution of %(july)s. Correct 7月是否已缴费 or 参保年月",
            month=error.details.get("month"),
            july=_july(),
        ),
    ),
    "import_cell.founded_after_insured": lambda error, context: _facts(
        error,
        _(
            "成立年月 is after 参保年月 (%(month)s): an employer is insured only once it exists. "
            "Correct one of the two",
            month=error.details.get("month"),
        ),
    ),
    "import_cell.deregistered_before_founded": lambda error, context: _facts(
        error,
        _(
            "The deregistration date is before the founding month (%(month)s). Correct 注销日期 "
            "or 成立年月",
            month=error.details.get("month"),
        ),
    ),
    "import_cell.arrears_month_without_arrears": lambda error, context: _facts(
        error,
        _(
            "A month in arrears (欠费所属期止) needs 是否中断缴费 = 是. Leave it blank for an "
            "employer not in arrears, or correct 是否中断缴费"
        ),
    ),
    "import_cell.amount": _static(
        lambda: _("Enter yuan with at most 2 decimals, in digits only (no sign or exponent)")
    ),
    "import_cell.part": _static(
        lambda: _("Enter 单位 (the unit part) or 个人 (the personal part)")
    ),
    "import_cell.count": _static(lambda: _("Enter a whole number of persons")),
    "import_cell.reference": _static(lambda: _("Use only letters, digits and - _ . /")),
    "import_cell.formula": _static(
        lambda: _("Enter the value itself, not a formula (it must not start with =, + or @)")
    ),
    "import_cell.zero": _static(lambda: _("A payment of 0 is not a payment: leave the row out")),
    "import_cell.unknown_agency": _static(
        lambda: _("No agency has this code: check the agency code")
    ),
    "import_cell.other_agency": _static(
        lambda: _("This row is another agency's: you may import only your own agency's rows")
    ),
    "import_cell.unknown_employer": _static(
        lambda: _("No employer has this credit code: import it with the list first")
    ),
    "import_cell.duplicate": lambda error, context: _(
        "Repeats line %(first)s", first=error.details.get("first")
    ),
    "import_cell.payment_differs": _static(
        lambda: _("This payment number was imported before with another date or amount")
    ),
    # The reference data: agencies, fund reserve, rates (kinds/agencies.py, fund_reserve.py ...)
    "import_cell.region_code": _static(
        lambda: _(
            "Enter the pooling region's 6-digit administrative code (GB/T 2260), such as 371500"
        )
    ),
    "import_cell.uncovered_region": lambda error, context: _(
        "No program of the portal covers the region %(region)s: its code must lie in a province "
        "that runs one (%(provinces)s). Check the code",
        region=error.details.get("region"),
        provinces=error.details.get("provinces"),
    ),
    "import_cell.unknown_region": _static(
        lambda: _("No pooling region has this code: import its agencies first")
    ),
    "import_cell.other_region": _static(
        lambda: _(
            "This row is another pooling region's: you may import only your own agency's region"
        )
    ),
    "import_cell.region_name_differs": lambda error, context: _(
        "Line %(first)s names this region %(name)s: give one region one name",
        first=error.details.get("first"),
        name=error.details.get("name"),
    ),
    "import_cell.phone": _static(
        lambda: _("Enter the phone number in digits, with - ( ) or 转 for an extension if needed")
    ),
    "import_cell.reserve_months": _static(
        lambda: _(
            "Enter the months of payouts the fund reserve covers as a number of 0 or more with "
            "at most 2 decimals, such as 6.5 (no sign or exponent)"
        )
    ),
    "import_cell.rate": _static(
        lambda: _(
            "Enter the rate as a decimal between 0 and 1 with at most 4 decimals, such as 0.065 "
            "for 6.5%"
        )
    ),
    "import_file.no_header": _static(lambda: _("The file has no header row naming its columns")),
    "import_file.duplicate_column": lambda error, context: _(
        "The column %(column)s appears twice", column=error.details.get("column")
    ),
    "import_file.missing_columns": lambda error, context: _(
        "These columns are missing: %(columns)s", columns=error.details.get("columns")
    ),
    "import_file.missing_column": lambda error, context: _(
        "The column %(column)s is missing (its English name: %(alias)s)",
        column=error.details.get("column"),
        alias=error.details.get("alias"),
    ),
    "import_file.payment_month_missing": lambda error, context: _(
        "The column %(column)s (%(alias)s) is missing: every payment must name the contribution "
        "month it pays (YYYY-MM), and the portal does not guess it. Add the column and import "
        "the file again",
        column=error.details.get("column"),
        alias=error.details.get("alias"),
    ),
    "import_file.payment_part_missing": lambda error, context: _(
        "The column %(column)s (%(alias)s) is missing: every payment must say whether it is the "
        "unit part (单位) or the personal part (个人), and the portal does not guess it. Add the "
        "column and import the file again",
        column=error.details.get("column"),
        alias=error.details.get("alias"),
    ),
    "import_file.encoding": lambda error, context: _(
        "Line %(line)s cannot be read. Save the file as CSV in UTF-8 or GB18030, or as .xlsx",
        line=error.details.get("line"),
    ),
    "import_file.not_csv": lambda error, context: _(
        "Line %(line)s is not valid CSV. Save the file again as CSV or .xlsx",
        line=error.details.get("line"),
    ),
    "import_file.not_xlsx": _static(
        lambda: _("This is not a readable .xlsx file. Open it in Excel and save it again")
    ),
    "import_file.xlsx_too_large": _static(
        lambda: _("The .xlsx file unpacks to too much data. Split it, or save it as CSV")
    ),
    "import_file.cell_too_long": lambda error, context: _(
        "Line %(line)s has a cell longer than %(limit)s characters",
        line=error.details.get("line"),
        limit=error.details.get("limit"),
    ),
    "import_file.formula": lambda error, context: _(
        "Line %(line)s holds a formula. Copy the sheet and paste the values only",
        line=error.details.get("line"),
    ),
    "import_file.too_many_columns": lambda error, context: _(
        "Line %(line)s has more than %(limit)s cells. Check the file's columns",
        line=error.details.get("line"),
        limit=error.details.get("limit"),
    ),
    "import_file.too_many_rows": lambda error, context: _(
        "The file has more than %(limit)s rows. Split it into smaller files",
        limit=error.details.get("limit"),
    ),
    "import_file.too_large": _static(
        lambda: _("The file is larger than 200 MB. Import it from the command line")
    ),
    # The 2020 deferral by application (portal/features/applications, kind deferral_2020)
    "application.start_month_required": _static(lambda: _("Choose the first month to defer")),
    "application.months_required": _static(lambda: _("Choose how many months to defer")),
    "application.bad_month": _static(lambda: _("Choose the first month to defer")),
    "application.invalid": _static(lambda: _("Choose how many months to defer")),
    "application.too_many_months": _static(
        lambda: _("Choose at most 6 months: the deferral lasts at most 6 months")
    ),
    "application.month_outside_program": _static(
        lambda: _("Choose months inside the program's deferral window (for Wuxi, within 2020)")
    ),
    "application.applications_closed": _static(
        lambda: _("Applications for the 2020 deferral were taken in 2020 only")
    ),
    "application.reason_required": _static(
        lambda: _("Say why your employer cannot pay the contributions in full now")
    ),
    "application.route_required": _static(
        lambda: _("Choose the ground on which your employer applies")
    ),
    "application.ground_required": _static(
        lambda: _("Choose your employer's industry from the list")
    ),
    "application.not_social_organisation": _static(
        lambda: _(
            "Only a social organisation on the civil-affairs (民政) list — a social group, a "
            "private non-enterprise unit or a foundation — can apply on this ground. Choose "
            "another ground."
        )
    ),
    "application.employees_agreement": _static(
        lambda: _(
            "Confirm that the deferral was agreed with the employees (经与职工协商一致): Wuxi "
            "requires it"
        )
    ),
    "application.evidence_required": lambda error, context: _(
        "Upload the supporting evidence (相关证明材料) for the figures you declared, as an image "
        "or a PDF: %(ref)s asks for it with the commitment letter",
        ref=error.details.get("detail", ""),
    ),
    "application.documents_required": _static(
        lambda: _(
            "Upload the application letter, the commitment letter or the application form "
            "(an image or a PDF)"
        )
    ),
    # The 2020 programs' refund-or-offset choice (portal/features/reductions)
    "return_choice.choose": _static(lambda: _("Choose refund or offset")),
    "return_choice.account_needed": _static(
        lambda: _(
            "Enter the account the refund should go to: the agency has none for your employer"
        )
    ),
    "return_choice.carried_out": _static(
        lambda: _(
            "The agency has already refunded or offset this amount as chosen: the choice can "
            "no longer be changed. Ask the agency if something is wrong."
        )
    ),
    "return_choice.nothing_over_collected": _static(
        lambda: _("Nothing was over-collected, so there is nothing to refund or offset")
    ),
    # Agency staff correcting an employer's facts (portal/features/staff)
    "employer_facts.reason_required": _static(lambda: _("Say why you are changing these facts")),
    "employer_facts.changed": _static(
        lambda: _(
            "Someone changed these facts since you opened the page. Check the values and save again"
        )
    ),
    "import_file.empty": _static(lambda: _("Choose a CSV or .xlsx file")),
    "import.unknown_kind": _static(lambda: _("Choose what the file holds")),
    "import.not_checked": _static(lambda: _("This file was applied or refused already")),
    "import.every_agency_only": _static(
        lambda: _("Only an administrator imports the agencies: choose what else the file holds")
    ),
    "jobs.unknown_kind": _static(
        lambda: _("This job is of a kind this version of the portal does not run.")
    ),
    "import.other_file": _static(
        lambda: _("The confirmation does not match the checked file. Upload it again")
    ),
}


def error_message(error: DomainError, **context: Any) -> str:
    """The message for ``error`` in the reader's language (``context``: e.g. ``program``)."""
    for key in (f"{error.kind}.{error.code}", f"{error.kind}.*"):
        message = MESSAGES.get(key)
        if message is not None:
            return message(error, context)
    return _("This cannot be done: %(reason)s", reason=error.code)


def put_error(form: Any, error: DomainError, *, default: str | None = None, **context: Any) -> str:
    """Put the message for ``error`` beside the field it belongs to (``error.field``), else
    beside ``default``, else in the form's error summary (on its CSRF field, which the summary
    links to the top of the page); return the message."""
    message = error_message(error, **context)
    target = getattr(form, error.field, None) if error.field else None
    if target is None and default:
        target = getattr(form, default, None)
    if target is None:
        target = form.csrf_token
    if isinstance(target.errors, tuple):
        target.errors = list(target.errors)
    target.errors.append(message)
    return message
