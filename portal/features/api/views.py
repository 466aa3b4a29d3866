"""The JSON API for other systems: size classification per 工信部联企业〔2011〕300号."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal, overload

from flask import jsonify, request

from portal import rules
from portal.core.ratelimit import enforce
from portal.features.api import bp
from portal.util import numbers
from portal.web.permissions import PUBLIC, permission


class BadParameter(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@bp.route("/classification")
@permission(PUBLIC)
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
    return jsonify(
        {
            "industry": result.industry,
            "size": result.size,
            "clause": result.clause,
            "explanation": result.explanation,
            "missing": result.missing,
            "hints": result.hints,
        }
    )


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
