"""The JSON API for other systems: size classification per 工信部联企业〔2011〕300号."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import jsonify, request

from portal import rules
from portal.api import bp
from portal.permissions import PUBLIC, permission
from portal.ratelimit import enforce


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


def _number(args, name: str, *, integer: bool = False) -> Decimal | int | None:
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise BadParameter(name, f"{name} must be a number, not {raw!r}") from None
    if not value.is_finite():
        raise BadParameter(name, f"{name} must be a finite number")
    if value < 0:
        raise BadParameter(name, f"{name} cannot be negative")
    if integer:
        if value != value.to_integral_value():
            raise BadParameter(name, f"{name} must be a whole number of persons")
        return int(value)
    return value
