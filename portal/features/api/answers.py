"""The standing's answer, read from the one ``Standing`` the rules give
(``portal.rules.standing``): nothing here derives a period or an amount again."""

from __future__ import annotations

from decimal import Decimal

from portal.features.api.schemas import Eligibility, MonthAmount, PeriodOut, Reason, StandingOut
from portal.models import Employer
from portal.rules.standing import Standing


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def standing_answer(employer: Employer, s: Standing) -> StandingOut:
    quote = s.quote
    eligibility = None
    if s.eligibility is not None:
        eligibility = Eligibility(
            eligible=s.eligibility.eligible,
            reasons=[Reason(code=c, message=str(m)) for c, m in s.eligibility.reasons],
            clauses=dict(s.eligibility.refs),
        )
    period = None
    if s.period is not None:
        period = PeriodOut(
            start=s.period.start,
            end=s.period.end,
            months=list(s.period.months),
            deadline=s.period.deadline.isoformat(),
            late_fee_from=s.period.late_fee_from.isoformat(),
            clauses=dict(s.period.refs),
        )
    return StandingOut(
        credit_code=employer.credit_code,
        name=employer.name,
        on=s.on.isoformat(),
        program=s.program.id,
        program_name=s.program.name_zh,
        is_deferred=s.is_deferred,
        is_lapsed=s.is_lapsed,
        eligibility=eligibility,
        period=period,
        months=[
            MonthAmount(
                month=line.month,
                unit_amount=_money(line.unit_amount),
                headcount=line.headcount,
                source=line.source,  # type: ignore[arg-type]  # the rules' three sources
            )
            for line in s.lines
        ],
        deferred_total=_money(quote.deferred_total) if quote else None,
        paid=_money(quote.paid) if quote else None,
        outstanding=_money(quote.outstanding) if quote else None,
        deadline=quote.deadline.isoformat() if quote else None,
        late_fee=_money(quote.late_fee) if quote else None,
        late_fee_daily_rate=str(quote.daily_rate) if quote else None,
    )
