"""The JSON API for other systems: size classification per 工信部联企业〔2011〕300号."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Literal, overload

from flask import Response, current_app, g, jsonify, render_template, request
from sqlalchemy import select

from portal import rules
from portal.core.extensions import db
from portal.core.ratelimit import enforce
from portal.facts.standing import employer_standing
from portal.features.api import bp, collections, feed, spec
from portal.features.api.answers import standing_answer
from portal.features.api.operations import active_grant
from portal.features.api.schemas import (
    MAX_COLLECTION_ITEMS,
    Classification,
    ClassificationError,
    ClassificationQuery,
    CollectionsIn,
    CollectionsOut,
    PlainError,
    StandingOut,
    StandingQuery,
    TaxListItem,
    TaxListPage,
    TaxListQuery,
    dump,
)
from portal.features.api.spec import Answer, operation, problem
from portal.models import Agency, Employer
from portal.util import numbers
from portal.util.clock import now, today
from portal.web.api_tokens import Problem, bad_parameter
from portal.web.permissions import (
    API_COLLECTIONS,
    API_STANDING,
    API_TAX_LIST,
    PUBLIC,
    permission,
)

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


class BadParameter(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@bp.route("/classification")
@permission(PUBLIC)
@operation(
    "Size classification of an enterprise",
    "Medium, small, micro or large by 工信部联企业〔2011〕300号 第四条, from the industry and "
    "the indicators given, with the clause that decided and what is missing. No token needed; "
    "limited per address per minute.",
    {
        200: Answer(Classification, "The classification"),
        400: Answer(ClassificationError, "A parameter that is not understood, named"),
        429: Answer(PlainError, "Too many requests from this address this minute"),
    },
    query=ClassificationQuery,
)
def classification():
    enforce("api", "API_RATE_LIMIT_PER_MINUTE")
    try:
        industry = _industry(request.args.get("industry", ""))
        employees = _number(request.args, "employees", integer=True)
        revenue = _number(request.args, "revenue")
        assets = _number(request.args, "assets")
    except BadParameter as error:
        return jsonify({"error": str(error), "parameter": error.parameter}), 400
    result = rules.classify(industry, employees=employees, revenue=revenue, assets=assets)
    answer = Classification(
        industry=result.industry,
        size=result.size,
        clause=result.clause,
        explanation=result.explanation,
        missing=result.missing,
        hints=result.hints,
    )
    return jsonify(dump(answer))  # keys sorted, as this answer always was


def _industry(value: str) -> str:
    value = value.strip()
    if not value:
        raise BadParameter("industry", "give industry: one of the 16 keys or a GB/T 4754-2017 code")
    if value in rules.INDUSTRIES:
        return value
    try:
        match = rules.industry_for_code(value)
    except rules.RulesError:
        raise BadParameter(
            "industry",
            f"unknown industry {value!r}: use one of {', '.join(rules.INDUSTRIES)} "
            "or a GB/T 4754-2017 code",
        ) from None
    if match.industry is None:
        raise BadParameter("industry", f"code {value!r} covers several industries; give the key")
    return match.industry


@overload
def _number(args: Mapping[str, str], name: str, *, integer: Literal[True]) -> int | None: ...
@overload
def _number(
    args: Mapping[str, str], name: str, *, integer: Literal[False] = False
) -> Decimal | None: ...
def _number(args: Mapping[str, str], name: str, *, integer: bool = False) -> Decimal | int | None:
    """:raise BadParameter: not a plain non-negative number within the portal's digits."""
    try:
        if integer:
            return numbers.parse_integer(args.get(name), max_digits=numbers.INTEGER_DIGITS)
        return numbers.parse_decimal(
            args.get(name), max_digits=numbers.WAN_YUAN_DIGITS, max_places=numbers.WAN_YUAN_PLACES
        )
    except numbers.NumberError as error:
        raise BadParameter(name, _api_message(name, error, integer=integer)) from None


def _api_message(name: str, error: numbers.NumberError, *, integer: bool) -> str:
    if error.reason == numbers.NEGATIVE:
        return f"{name} cannot be negative"
    if error.reason == numbers.TOO_MANY_DIGITS:
        return f"{name} has more than {error.max_digits} digits before the decimal point"
    if error.reason == numbers.TOO_MANY_PLACES:
        if integer:
            return f"{name} must be a whole number of persons"
        return f"{name} has more than {error.max_places} digits after the decimal point"
    return (
        f"{name} must be a plain number like 45 or 850.5 "
        "(digits and one decimal point; no exponent, NaN or infinity)"
    )


# ------------------------------------------------------------------------ the description


@bp.route("/openapi.json")
@permission(PUBLIC)
def openapi():
    """The OpenAPI 3.1 description of every endpoint here (``spec``)."""
    return jsonify(spec.description())


@bp.route("/docs")
@permission(PUBLIC)
def docs():
    """The description as a page, rendered on the server: no script, nothing from elsewhere."""
    return render_template("api/docs.html", doc=spec.description(), pretty=_pretty)


def _json(body: object) -> Response:
    """JSON in the models' order (``jsonify`` sorts keys: the 缓缴清单's columns would lose the
    file's order, which its readers know)."""
    return current_app.response_class(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n",
        mimetype="application/json",
    )


def _pretty(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


# ------------------------------------------------------------------- the 缓缴清单 feed


@bp.route("/tax-list")
@permission(API_TAX_LIST)
@operation(
    "The 缓缴清单 for the tax bureau, as a feed",
    "Rows new or changed since the cursor `since` (and removals, 移出清单), in the 12 columns "
    "and formats of the file export, oldest change first, a page at a time. Without `since`, "
    "the whole list. Keep `next` and ask with it later for what changed since; reading moves "
    "nothing for any other reader. An employer that changed again between two pages comes "
    "again with its new row.",
    {
        200: Answer(TaxListPage, "A page of the list's changes"),
        400: problem("A parameter that is not understood, named in `errors`"),
    },
    query=TaxListQuery,
    scope="tax-list",
)
def tax_list():
    agency = _agency_in_scope(request.args.get("agency", ""))
    limit = _limit(request.args.get("limit"))
    since = request.args.get("since")
    try:
        cursor = None if since is None else feed.Cursor.decode(since, agency.id)
    except feed.BadCursor as error:
        raise bad_parameter("since", str(error)) from None
    page, appended = feed.read_page(agency.id, cursor, limit, on=today(), at=now())
    g.api_call["journal_appended"] = appended
    answer = TaxListPage(
        agency=agency.code,
        month=page.month,
        items=[
            TaxListItem(change="removed" if item.is_removal else "listed", row=item.cells)
            for item in page.items
        ],
        next=page.next.encode(),
        has_more=page.has_more,
    )
    return _json(dump(answer))


def _agency_in_scope(code: str) -> Agency:
    code = code.strip()
    if not code or len(code) > 20:
        raise bad_parameter("agency", "give the agency's code (医保经办机构代码)")
    agency = db.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None or agency.id not in (g.api_client.agency_ids or []):
        raise Problem(
            403,
            "agency",
            "Not in the token's scope",
            f"This token may not read agency {code}.",
            errors=[{"name": "agency", "detail": "not an agency of this token"}],
        )
    return agency


def _limit(value: str | None) -> int:
    if value is None:
        return feed.DEFAULT_LIMIT
    try:
        limit = numbers.parse_integer(value, max_digits=4)
    except numbers.NumberError:
        limit = None
    if limit is None or not 1 <= limit <= feed.MAX_LIMIT:
        raise bad_parameter("limit", f"a whole number from 1 to {feed.MAX_LIMIT}")
    return limit


# --------------------------------------------------------------------------------- standing


@bp.route("/employers/<credit_code>/standing")
@permission(API_STANDING)
@operation(
    "An employer's standing, for software it authorised",
    "Program, eligibility with its clauses, the deferred period, the amounts by month, what "
    "is paid and outstanding, the catch-up deadline and the late fee as of a day (`on`, "
    "today if none). Only for an employer whose owner granted this client access on the "
    "portal, until the day the owner chose; any other credit code is a 404.",
    {
        200: Answer(StandingOut, "The standing"),
        400: problem("A parameter that is not understood, named in `errors`"),
        404: problem("No employer of this code has granted this client access"),
    },
    query=StandingQuery,
    path={
        "credit_code": {
            "description": "The unified social credit code (统一社会信用代码), 18 characters",
            "schema": {"type": "string", "maxLength": 40},
        }
    },
    scope="standing",
)
def standing(credit_code: str):
    on = _day(request.args.get("on"))
    employer = _granted_employer(credit_code)
    g.api_call["employer_id"] = employer.id
    return _json(dump(standing_answer(employer, employer_standing(employer, on))))


def _day(value: str | None) -> date:
    if value is None:
        return today()
    try:
        day = date.fromisoformat(value) if DAY.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise bad_parameter("on", "a date from 2000-01-01 to 2099-12-31, like 2022-08-15")
    return day


def _granted_employer(credit_code: str) -> Employer:
    code = credit_code.strip().upper()
    employer = None
    if len(code) == 18:
        employer = db.session.scalar(select(Employer).where(Employer.credit_code == code))
    if employer is None or active_grant(g.api_client.id, employer.id, today()) is None:
        raise Problem(
            404,
            "not-granted",
            "Not found",
            "No employer of this code has granted this client access.",
        )
    return employer


# ------------------------------------------------------------- the bureau's payment returns


@bp.route("/collections", methods=["POST"], endpoint="collections")
@permission(API_COLLECTIONS)
@operation(
    "Payment returns from the tax bureau",
    "What the bureau collected (内医保办发〔2022〕19号 三（三）: 缴费信息回传), per employer, "
    "contribution month (费款所属期) and part (缴费类型), as the collections import takes it: "
    f"1 to {MAX_COLLECTION_ITEMS} items a batch, recorded all or none. Idempotent "
    "by the key (employer, month, part): a figure already recorded changes nothing, so the "
    "same batch sent again (a retry after a lost answer) answers created 0 and changes "
    "nothing; a different amount or date for a recorded key is the bureau's correction and "
    "replaces it (audited). Only for employers of the token's agencies; a token that may write.",
    {
        200: Answer(CollectionsOut, "The batch is recorded: what it created, updated, left"),
        413: problem(f"More than {MAX_COLLECTION_ITEMS} items, or over 1 MiB"),
        415: problem("The body is not application/json"),
        422: problem("Bad items, each named in `errors` by index and field; nothing recorded"),
    },
    body=CollectionsIn,
    scope="collections",
)
def post_collections():
    if not request.is_json:
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the batch as application/json.",
        )
    if (request.content_length or 0) > collections.MAX_BODY_BYTES:
        raise collections.too_large()  # unread
    items = collections.read_batch(request.stream.read(collections.MAX_BODY_BYTES + 1))
    g.api_call["items"] = len(items)
    tally = collections.record(items, g.api_client)
    g.api_call.update(created=tally.created, updated=tally.updated, unchanged=tally.unchanged)
    answer = CollectionsOut(
        items=len(items),
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
    )
    return _json(dump(answer))
