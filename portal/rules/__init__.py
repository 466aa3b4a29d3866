"""The rules of the staged deferral and reduction programs: pure Python, no Flask.

Every legal value lives in a policy file next to the clause it comes from
(``programs/<id>.yaml`` and ``data/*.yaml``); this package loads, validates and applies them.
"""

from __future__ import annotations

from ._schema import Param
from .applications import (
    RequiredDocument,
    missing_documents,
    required_documents,
    review_time_is_set_by_text,
    review_working_days,
)
from .check import CheckReport, check_policy_files
from .classification import (
    Check,
    Classification,
    Hint,
    Industry,
    IndustryMatch,
    classify,
    industries,
    industry_for_code,
)
from .errors import (
    CalendarRangeError,
    InvalidCreditCode,
    InvalidIndustryCode,
    InvalidInput,
    NotApplicable,
    PolicyError,
    RulesError,
    UnknownIndustry,
    UnknownProgram,
)
from .periods import Eligibility, Period, check_eligibility, deferral_period
from .policy import Program, load_program, program_ids
from .quote import (
    LateSlice,
    Quote,
    Settlement,
    catchup_quote,
    departure_due,
    deregistration_due,
    late_days,
    to_fen,
)
from .reductions import (
    AssessedMonth,
    DeferralRequest,
    DeferredMonth,
    MonthFact,
    OffsetMonth,
    OverCollection,
    Rate,
    RateMonth,
    RateTable,
    ReductionTotals,
    ReturnDecision,
    ReturnOption,
    deferral_lengths,
    deferral_request,
    deferral_start_months,
    deferred_months,
    offset_schedule,
    over_collected,
    rate_months,
    rate_table,
    reduction_totals,
    return_decision,
    return_options,
    unit_rate,
    unit_type_for,
)
from .regions import ProgramTerm, RegionPrograms, program_on, region_programs
from .uscc import CreditCode, normalise_uscc, parse_uscc
from .workdays import add_working_days, is_working_day, review_due_date

# The 16 industries of 第四条 in order: key -> Industry (.zh, .en, .clause, thresholds).
# Loaded at import so a broken classification file fails loudly and at once.
INDUSTRIES: dict[str, Industry] = industries()

__all__ = [
    "INDUSTRIES",
    "AssessedMonth",
    "ReductionTotals",
    "reduction_totals",
    "CalendarRangeError",
    "Check",
    "CheckReport",
    "Classification",
    "CreditCode",
    "DeferralRequest",
    "DeferredMonth",
    "Hint",
    "Eligibility",
    "Industry",
    "IndustryMatch",
    "InvalidCreditCode",
    "InvalidIndustryCode",
    "InvalidInput",
    "LateSlice",
    "MonthFact",
    "NotApplicable",
    "OffsetMonth",
    "OverCollection",
    "Param",
    "Period",
    "PolicyError",
    "Program",
    "ProgramTerm",
    "Quote",
    "Rate",
    "RateMonth",
    "RateTable",
    "RegionPrograms",
    "RequiredDocument",
    "ReturnDecision",
    "ReturnOption",
    "RulesError",
    "Settlement",
    "UnknownIndustry",
    "UnknownProgram",
    "add_working_days",
    "catchup_quote",
    "check_eligibility",
    "check_policy_files",
    "classify",
    "deferral_lengths",
    "deferral_period",
    "deferral_request",
    "deferral_start_months",
    "deferred_months",
    "departure_due",
    "deregistration_due",
    "industry_for_code",
    "is_working_day",
    "late_days",
    "load_program",
    "missing_documents",
    "normalise_uscc",
    "offset_schedule",
    "over_collected",
    "parse_uscc",
    "program_ids",
    "program_on",
    "rate_months",
    "rate_table",
    "return_decision",
    "return_options",
    "region_programs",
    "required_documents",
    "review_due_date",
    "review_time_is_set_by_text",
    "review_working_days",
    "to_fen",
    "unit_rate",
    "unit_type_for",
]
