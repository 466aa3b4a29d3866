"""Parse one cell of an imported file into a value, or say in a clerk's words what is wrong.

Each parser takes the cell's text and returns the value, or raises ``CellError`` with a message
code (worded in portal/labels/errors.py under ``import_cell``). Numbers are parsed here once,
digit by digit, before any arithmetic: no exponent, no NaN or Infinity, no more digits than the
column holds.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from portal.features.imports.reader import DateCell
from portal.rules import (
    INDUSTRIES,
    InvalidCreditCode,
    RulesError,
    covering,
    industry_for_code,
)
from portal.rules.errors import DomainError
from portal.rules.regions import timelines
from portal.rules.uscc import normalise_uscc, parse_uscc, unit_kind_data
from portal.util.numbers import INTEGER_DIGITS, NumberError, parse_decimal, parse_integer
from portal.util.text import forbidden_character

_MONTH = re.compile(r"([0-9]{4})-?([0-9]{2})")
_DAY = re.compile(r"([0-9]{4})-?([0-9]{2})-?([0-9]{2})")

YES = {"是", "y", "yes", "true", "1"}
NO = {"否", "n", "no", "false", "0"}
SIZES = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro"}
SIZES.update({v: v for v in set(SIZES.values())})
UNIT_KINDS = {
    "企业": "enterprise",
    "个体工商户": "individual_business",
    "社会组织": "social_group",
    "会计师事务所": "accounting_firm",
    "机关事业单位": "public_institution",
}
SOCIAL_ORGANISATIONS = {
    "social_group",
    "private_non_enterprise",
    "foundation",
    "law_firm",
    "accounting_firm",
    "other_social_organisation",
}
PUBLIC_BODIES = {"government_organ", "public_institution", "other_establishment"}
INDUSTRY_NAMES = {industry.zh: key for key, industry in INDUSTRIES.items()}


class CellError(DomainError):
    """A cell that cannot be used; ``code`` names why (portal/labels/errors.py)."""

    kind = "import_cell"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def text(value: str, *, limit: int) -> str:
    """Text as the register writes it (NFC: full-width brackets stay full-width)."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise CellError("required")
    if forbidden_character(value):  # a form's one-line rule: no control or line break
        raise CellError("control_characters")
    if value[:1] in ("=", "+", "@"):
        raise CellError("formula")  # would run as a formula when a spreadsheet opens an export
    if len(value) > limit:
        raise CellError("too_long", limit=limit)
    return value


_USCC = re.compile(r"[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}")
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Each of the standard's 31 characters as the base-34 digit of the same value (0-9, a-u).
_AS_BASE34 = str.maketrans(_ALPHABET, "0123456789abcdefghijklmnopqrstu")


def _check_character(code: str) -> str:
    """GB 32100-2015's check character of a code's first 17 characters (of its alphabet).

    The standard weighs the i-th character's value by 3**i mod 31 (1, 3, 9, 27, 19, …) and
    takes 31 - (sum mod 31). Read backwards as a base-34 number, the 17 values sum to
    value_i * 34**i, and 34 = 3 (mod 31): the same sum mod 31, in one int() in C instead of
    17 multiplications in Python (tests/imports pin it to python-stdnum's calc_check_digit).
    """
    return _ALPHABET[-int(code[16::-1].translate(_AS_BASE34), 34) % 31]


def credit_code(value: str) -> str:
    """A checked unified social credit code (GB 32100-2015), upper case.

    A million rows are checked here, so the canonical form is checked first (``_check_character``);
    any other text goes through ``parse_uscc`` (python-stdnum), which also says what is wrong.
    """
    code = value.strip().upper()
    if _USCC.fullmatch(code) and _check_character(code) == code[17]:
        return code
    code = normalise_uscc(value)
    if not code:
        raise CellError("required")
    try:
        parse_uscc(code)
    except InvalidCreditCode as error:
        raise CellError(
            "credit_code_checksum" if error.code == "bad_check" else "credit_code_format"
        ) from error
    return code


def yes_no(value: str) -> bool:
    folded = _fold(value).lower()
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise CellError("yes_no")


#: 缴费类型 as the tax bureau writes it, and the English the aliases use (models PAYMENT_PARTS).
PAYMENT_PARTS = {
    "单位": "unit",
    "单位缴费": "unit",
    "unit": "unit",
    "个人": "personal",
    "个人缴费": "personal",
    "personal": "personal",
}
#: 险种, where the bureau splits medical and maternity (models PAYMENT_INSURANCES).
PAYMENT_INSURANCES = {
    "医疗": "medical",
    "职工医保": "medical",
    "职工基本医疗保险": "medical",
    "medical": "medical",
    "生育": "maternity",
    "生育保险": "maternity",
    "maternity": "maternity",
}


def payment_part(value: str) -> str:
    """缴费类型: 单位 (unit) or 个人 (personal); anything else refused, not guessed."""
    folded = _fold(value)
    part = PAYMENT_PARTS.get(folded.lower() if folded.isascii() else folded)
    if part is None:
        raise CellError("payment_part")
    return part


def payment_insurance(value: str) -> str:
    """险种: 医疗 (medical) or 生育 (maternity)."""
    folded = _fold(value)
    insurance = PAYMENT_INSURANCES.get(folded.lower() if folded.isascii() else folded)
    if insurance is None:
        raise CellError("payment_insurance")
    return insurance


def size_class(value: str) -> str:
    size = SIZES.get(_fold(value).lower() if _fold(value).isascii() else _fold(value))
    if size is None:
        raise CellError("size_class")
    return size


def unit_kind(value: str, code: str) -> str:
    """The unit kind named in the file, made precise by the credit code where it can be."""
    kind = UNIT_KINDS.get(_fold(value))
    if kind is None:
        raise CellError("unit_kind")
    from_code = unit_kind_of(code)
    if kind == "social_group" and from_code in SOCIAL_ORGANISATIONS:
        return from_code
    if kind == "public_institution" and from_code in PUBLIC_BODIES:
        return from_code
    return kind


def unit_kind_of(code: str) -> str:
    """The unit kind a checked credit code's first two characters show (GB 32100-2015)."""
    kind = unit_kind_data().kinds.get(code[:2])
    return kind.key if kind is not None else "unknown"


def industry(value: str) -> str:
    folded = _fold(value)
    if folded in INDUSTRIES:
        return folded
    if folded in INDUSTRY_NAMES:
        return INDUSTRY_NAMES[folded]
    try:
        match = industry_for_code(folded)
    except RulesError as error:
        raise CellError("industry") from error
    if match.industry is None:
        raise CellError("industry")
    return match.industry


def month(value: str) -> str:
    if isinstance(value, DateCell):  # a date cell of an .xlsx: the month it falls in
        if value.day.year < 2000:
            raise CellError("month")
        return f"{value.day:%Y-%m}"
    match = _MONTH.fullmatch(_fold(value))
    if match is None or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)):
        raise CellError("month")
    return f"{match.group(1)}-{match.group(2)}"


def day(value: str) -> date:
    folded = _fold(value)
    match = _DAY.fullmatch(
        folded[:10] if len(folded) >= 10 and folded[10:11] in (" ", "T") else folded
    )
    if match is None:
        raise CellError("day")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as error:
        raise CellError("day") from error


#: Years a deregistration date (注销日期) may fall in: no register holds an earlier one, and a
#: later one is a typo, not a plan.
DEREGISTRATION_YEARS = (2000, 2099)


def deregistration_day(value: str) -> date:
    """注销日期: a date (``day``) of a year in ``DEREGISTRATION_YEARS``."""
    parsed = day(value)
    first, last = DEREGISTRATION_YEARS
    if not first <= parsed.year <= last:
        raise CellError("day_range", first=first, last=last)
    return parsed


#: Digits a bank account number (退费账号) has: Chinese banks' run from 8 (some rural banks'
#: old accounts) to 30 (a sub-account number appended).
ACCOUNT_DIGITS = (8, 30)
_ACCOUNT = re.compile(r"[0-9 ]+")


def account(value: str) -> str:
    """A bank account number: digits, maybe grouped by spaces (full-width ones too), kept as
    the digits alone."""
    folded = _fold(value)
    if not folded:
        raise CellError("required")
    if not _ACCOUNT.fullmatch(folded):
        raise CellError("account")
    digits = folded.replace(" ", "")
    low, high = ACCOUNT_DIGITS
    if not low <= len(digits) <= high:
        raise CellError("account_length", low=low, high=high)
    return digits


def bank(value: str) -> str:
    """退费开户行: the bank and branch, as text."""
    return text(value, limit=100)


def amount(value: str) -> Decimal:
    """Yuan with at most two decimals and fifteen integer digits (portal.util.numbers: no sign,
    exponent or NaN; thousands only in groups of three)."""
    try:
        parsed = parse_decimal(value, max_digits=15, max_places=2, grouping=True)
    except NumberError as error:
        raise CellError("amount") from error
    if parsed is None:
        raise CellError("required")
    return parsed


#: 缴费类型: the part of a contribution (portal.models.contributions.PAYMENT_PARTS).
PARTS = {
    "单位": "unit",
    "单位缴费": "unit",
    "unit": "unit",
    "个人": "personal",
    "个人缴费": "personal",
    "personal": "personal",
}


def part(value: str) -> str:
    """缴费类型: 单位 (the unit part) or 个人 (the personal part), or unit / personal."""
    found = PARTS.get(_fold(value).lower())
    if found is None:
        raise CellError("part")
    return found


def count(value: str) -> int:
    try:
        parsed = parse_integer(value, max_digits=INTEGER_DIGITS, grouping=True)
    except NumberError as error:
        raise CellError("count") from error
    if parsed is None:
        raise CellError("required")
    return parsed


_REFERENCE = re.compile(r"[0-9A-Za-z_\-./]+")


def reference(value: str, *, limit: int) -> str:
    if _REFERENCE.fullmatch(value) and len(value) <= limit:
        return value  # ASCII letters, digits and _-./ only: text() would return it as it is
    value = text(value, limit=limit)
    if not _REFERENCE.fullmatch(value):
        raise CellError("reference")
    return value


_REGION_CODE = re.compile(r"[0-9]{6}")


def region_code(value: str) -> str:
    """A pooling region's administrative code (GB/T 2260): six digits."""
    code = _fold(value)
    if not _REGION_CODE.fullmatch(code):
        raise CellError("region_code")
    return code


def covered_region_code(value: str) -> str:
    """A region code that a program covers (rules/data/regions.yaml): a region whose code none
    covers would run no program, so it is refused before it is stored."""
    code = region_code(value)
    if covering(code) is None:
        provinces = timelines().provinces.values()
        raise CellError(
            "uncovered_region",
            region=code,
            provinces="、".join(f"{p.name} ({p.code})" for p in provinces),
        )
    return code


PHONE_CHARS = 40  # agencies.phone, .report_contact_phone, .report_contact_mobile
_PHONE = re.compile(r"[0-9 ()+\-/,、转]+")


def phone(value: str) -> str:
    """A telephone number as people write it: digits, with - ( ) + / , 、 or 转 (extension);
    full-width digits and brackets are folded."""
    folded = " ".join(_fold(value).split())
    if not folded:
        raise CellError("required")
    digits = sum(ch.isdigit() for ch in folded)
    if not _PHONE.fullmatch(folded) or digits < 5:
        raise CellError("phone")
    if len(folded) > PHONE_CHARS:
        raise CellError("too_long", limit=PHONE_CHARS)
    return folded


#: 统筹基金累计结存可支付月数: up to 9999.99 (fund_reserves.months keeps two places).
RESERVE_DIGITS, RESERVE_PLACES = 4, 2
#: A rate such as 0.065, to four places (region_rates keep four).
RATE_PLACES = 4


def reserve_months(value: str) -> Decimal:
    """Months of payouts the fund reserve covers: a number of at least 0, two decimals at most."""
    try:
        parsed = parse_decimal(value, max_digits=RESERVE_DIGITS, max_places=RESERVE_PLACES)
    except NumberError as error:
        raise CellError("reserve_months", digits=RESERVE_DIGITS, places=RESERVE_PLACES) from error
    if parsed is None:
        raise CellError("required")
    return parsed


def rate(value: str) -> Decimal:
    """A contribution rate as a decimal fraction (0.065 for 6.5%): at least 0, below 1."""
    try:
        parsed = parse_decimal(value, max_digits=1, max_places=RATE_PLACES)
    except NumberError as error:
        raise CellError("rate", places=RATE_PLACES) from error
    if parsed is None:
        raise CellError("required")
    if parsed >= 1:
        raise CellError("rate", places=RATE_PLACES)
    return parsed
