"""The shapes of /api/v1's answers and parameters, as pydantic models: the views build their
answers through them (``dump``), and ``spec`` describes the same models in the OpenAPI
document, so that the description and the answers cannot drift apart. Money is a string of
yuan with two places ("1234.50"), exact; dates are ISO 8601 (YYYY-MM-DD), months YYYY-MM.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from portal.features.reports.tax_list import TAX_LIST_HEADERS

Money = str


def money() -> Any:
    return Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", description="Yuan, two places, e.g. 1234.50")


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


# ------------------------------------------------------------------------- problems (RFC 9457)


class ProblemItem(Schema):
    name: str = Field(description="The parameter or item that is wrong, e.g. items[3].amount")
    detail: str
    index: int | None = Field(
        default=None, description="The item's place in `items`, from 0 (a bad item only)"
    )
    field: str | None = Field(default=None, description="The item's field that is wrong, if one")


class ProblemDetails(Schema):
    """RFC 9457 problem details (application/problem+json)."""

    type: str = Field(description="A URI reference naming the kind of problem")
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: list[ProblemItem] | None = Field(
        default=None, description="Each bad parameter or item, named"
    )


# ---------------------------------------------------------------------------- classification


class ClassificationQuery(Schema):
    industry: str = Field(
        description="One of the 16 industry keys (e.g. retail) or a GB/T 4754-2017 code"
    )
    employees: str | None = Field(
        default=None, description="Employees (persons): a plain whole number", pattern=r"^\d+$"
    )
    revenue: str | None = Field(
        default=None,
        description="Operating revenue in 10,000 yuan: a plain number like 850.5",
        pattern=r"^\d+(\.\d+)?$",
    )
    assets: str | None = Field(
        default=None,
        description="Total assets in 10,000 yuan: a plain number like 850.5",
        pattern=r"^\d+(\.\d+)?$",
    )


class Classification(Schema):
    industry: str
    size: str = Field(description="large, medium, small or micro, or why it is undecided")
    clause: str = Field(description="The clause of 工信部联企业〔2011〕300号 第四条 that decided")
    explanation: list[str] = Field(description="Each step of the decision, in words")
    missing: list[str] = Field(description="Indicators the industry needs that were not given")
    hints: list[str]


class ClassificationError(Schema):
    error: str
    parameter: str


class PlainError(Schema):
    """The classification's answer to a refused call (kept as it always was)."""

    error: str
    status: int
    request_id: str


# ----------------------------------------------------------------------- the 缓缴清单 feed


def _row_model() -> type[BaseModel]:
    from pydantic import create_model

    fields: dict[str, Any] = {
        header: (str, Field(description=f'{header}, as in the file export (blank: "")'))
        for header in TAX_LIST_HEADERS
    }
    return create_model(
        "TaxListRow",
        __base__=Schema,
        __doc__="The 12 columns of the 缓缴清单 file (内医保办发〔2022〕19号 五), in its formats.",
        **fields,
    )


TaxListRowModel = _row_model()


class TaxListQuery(Schema):
    agency: str = Field(description="The agency's code (医保经办机构代码)", max_length=20)
    since: str | None = Field(
        default=None,
        description="The cursor `next` of an earlier answer; none: the whole list",
        max_length=200,
    )
    limit: int | None = Field(default=None, ge=1, le=1000, description="Rows a page, 100 if none")


class TaxListItem(Schema):
    change: Literal["listed", "removed"] = Field(
        description="listed: on the list, new or changed; removed: off the list (移出清单)"
    )
    row: TaxListRowModel  # type: ignore[valid-type]  # a model made at import time


class TaxListPage(Schema):
    agency: str
    month: str = Field(description="The contribution month of 当期数 (YYYY-MM)")
    items: list[TaxListItem]
    next: str = Field(description="Give as `since` to read what changes after this page")
    has_more: bool = Field(description="More rows wait now: ask again with `next` at once")


# --------------------------------------------------------------------------------- standing


class StandingQuery(Schema):
    on: str | None = Field(
        default=None,
        description="The day (YYYY-MM-DD) to state the standing and late fee for; today if none",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
    )


class Reason(Schema):
    code: str
    message: str


class Eligibility(Schema):
    eligible: bool
    reasons: list[Reason] = Field(description="Why it is not eligible (empty when it is)")
    clauses: dict[str, str] = Field(description="The clauses the decision rests on, by topic")


class PeriodOut(Schema):
    start: str
    end: str
    months: list[str]
    deadline: str = Field(description="Catch-up deadline (YYYY-MM-DD)")
    late_fee_from: str
    clauses: dict[str, str]


class MonthAmount(Schema):
    month: str
    unit_amount: Money | None = money()
    headcount: int | None
    source: Literal["assessment", "estimate", "missing"]


class StandingOut(Schema):
    credit_code: str
    name: str
    on: str
    program: str = Field(description="The program's id, e.g. shandong-2022")
    program_name: str
    is_deferred: bool
    is_lapsed: bool
    eligibility: Eligibility | None
    period: PeriodOut | None
    months: list[MonthAmount]
    deferred_total: Money | None = money()
    paid: Money | None = money()
    outstanding: Money | None = money()
    deadline: str | None
    late_fee: Money | None = money()
    late_fee_daily_rate: str | None


# ------------------------------------------------------------------------- collections


#: Items a batch of ``POST /api/v1/collections`` may hold.
MAX_COLLECTION_ITEMS = 1000


class CollectionItemIn(Schema):
    """One figure the tax bureau collected: the columns of the collections import."""

    credit_code: str = Field(
        max_length=40, description="统一社会信用代码, the employer's 18-character credit code"
    )
    month: str = Field(
        max_length=20, description="费款所属期, the contribution month: YYYY-MM (or YYYYMM)"
    )
    part: Literal["unit", "personal", "单位", "个人"] = Field(
        description="缴费类型: unit (单位) or personal (个人)"
    )
    amount: str | float = Field(
        description="征收金额, yuan collected as of collected_on, at most 2 places: a string "
        'like "1234.50" (or a plain JSON number); no sign, exponent, NaN or infinity'
    )
    collected_on: str = Field(
        max_length=20, description="征收日期, the day collected: YYYY-MM-DD (or YYYYMMDD)"
    )


class CollectionsIn(Schema):
    items: list[CollectionItemIn] = Field(
        min_length=1,
        max_length=MAX_COLLECTION_ITEMS,
        description=f"1 to {MAX_COLLECTION_ITEMS} figures, recorded all or none",
    )


class CollectionsOut(Schema):
    items: int = Field(description="Items in the batch")
    created: int = Field(description="Keys (employer, month, part) recorded for the first time")
    updated: int = Field(description="Keys whose amount or date the batch corrected")
    unchanged: int = Field(description="Keys already recorded with the same amount and date")
