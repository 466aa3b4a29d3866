"""What the pages say about a standing, in the user's language."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _

from portal.labels.codes import percent
from portal.rules.standing import Standing
from portal.util.formatting import day, money


def reason_texts(standing: Standing, employer) -> list[tuple[str, str]]:
    """Each reason the employer cannot defer, in plain words, with the clause it rests on."""
    if standing.eligibility is None:
        return []
    refs = standing.eligibility.refs
    program = standing.program
    texts = []
    for code, _message in standing.eligibility.reasons:
        if code == "out_of_scope_unit_kind":
            text = _(
                "Your credit code shows a government organ or public institution (机关事业单位). "
                "The deferral is only for small and medium-sized enterprises, individual "
                "businesses and social organisations."
            )
            ref = refs.get("excluded", "")
        elif code == "large_enterprise":
            text = _(
                "Your employer is classified as a large enterprise (%(figures)s). Only medium, "
                "small and micro enterprises can defer.",
                figures=_figures(employer),
            )
            ref = refs.get("sizes", "")
        elif code == "size_undetermined":
            text = _(
                "Your employer has no size class yet. If it is a small or medium-sized "
                "enterprise, declare its figures and sign the commitment letter."
            )
            ref = refs.get("sizes", "")
        elif code == "arrears":
            text = arrears_text(program)
            ref = refs.get("arrears", "")
        elif code in ("fund_reserve", "fund_reserve_unknown"):
            months = employer.agency.region.fund_reserve_months
            limit = program.fund_reserve_months_above
            text = _(
                "In %(region)s the medical insurance fund reserve covers %(months)s months of "
                "payouts. The deferral applies only where it covers more than %(limit)s months.",
                region=employer.agency.region.name,
                months=format_decimal(months) if months is not None else "—",
                limit=format_decimal(limit.value) if limit is not None else "—",
            )
            ref = refs.get("fund_reserve", "")
        elif code == "deregistered":
            text = _(
                "Your employer is deregistering (注销). A deregistering employer pays what it "
                "deferred before deregistration, and nothing more is deferred."
            )
            ref = refs.get("deregistration", "")
        elif code == "window_closed":
            text = _("The time to decide on this program has passed.")
            ref = refs.get("window", "")
        else:
            text = _("Your employer cannot defer under this program.")
            ref = ""
        texts.append((text, ref))
    return texts


def arrears_text(program) -> str:
    """What an employer with arrears pays first: up to the month the program names, or
    everything where its text sets no limit (聊医保发〔2022〕39号 一)."""
    through = program.arrears.through_month if program.arrears else None
    if through is None:
        return _(
            "Your employer has unpaid contributions. Pay everything owed first, whatever months "
            "it is for; then the deferral can start."
        )
    return _(
        "Your employer has unpaid contributions. Pay everything owed for %(month)s and "
        "earlier first; then the deferral can start.",
        month=through.value,
    )


def _figures(employer) -> str:
    parts = []
    if employer.employees is not None:
        parts.append(_("%(n)s employees", n=format_decimal(employer.employees)))
    if employer.revenue_amount is not None:
        parts.append(
            _("revenue %(amount)s × 10,000 yuan", amount=format_decimal(employer.revenue_amount))
        )
    if employer.assets_amount is not None:
        parts.append(
            _("assets %(amount)s × 10,000 yuan", amount=format_decimal(employer.assets_amount))
        )
    return ", ".join(parts) if parts else _("the departments' classification")


def next_step_text(standing: Standing, *, may_decide: bool = True, may_apply: bool = True) -> str:
    """What the employer does next, for a reader who may (or, like finance staff, may not)
    decide or apply: a step the reader cannot take is said as the owner's."""
    step = standing.next_step
    if step == "confirm" and not may_decide:
        return _(
            "Your employer is on the deferral list, so it is deferred without applying. The "
            "employer's owner can confirm the deferral, choose the period or opt out by %(date)s.",
            date=day(standing.decision_until),
        )
    if step == "confirm":
        return _(
            "Your employer is on the deferral list, so it is deferred without applying. Confirm "
            "the deferral, choose the period or opt out by %(date)s.",
            date=day(standing.decision_until),
        )
    if step == "apply" and not may_apply:
        return _(
            "Your employer is not on the deferral list. If it is a small or medium-sized "
            "enterprise, the employer's owner (its legal representative) can declare its figures "
            "and sign the commitment letter."
        )
    if step == "apply":
        return _(
            "Your employer is not on the deferral list. If it is a small or medium-sized "
            "enterprise, declare its figures and sign the commitment letter."
        )
    if step == "finish_application":
        return _(
            "Your application with the commitment letter is not sent yet. Finish it and send it "
            "to the agency."
        )
    if step == "await_review":
        assert standing.application is not None  # noqa: S101 - the step is about it
        return _(
            "Your application with the commitment letter was sent. The agency reviews it by "
            "%(date)s.",
            date=day(standing.application.due_on),
        )
    if step == "apply_again":
        assert standing.application is not None  # noqa: S101 - the step is about it
        return _(
            "The agency did not approve your application: %(reason)s Correct it and apply again.",
            reason=standing.application.reason or "—",
        )
    if step == "clear_arrears":
        return _("Pay the contributions your employer owes; then the deferral can start.")
    if step == "pay_normally":
        return _("You opted out: pay the unit contributions every month as usual.")
    if step == "pay_by_deadline":
        assert standing.quote is not None  # noqa: S101 - the step is about it
        return _(
            "Pay the deferred amount by %(date)s to avoid late fees. "
            "You can pay earlier at any time.",
            date=day(standing.quote.deadline),
        )
    if step == "pay_now":
        lapse = standing.lapse
        assert lapse is not None  # noqa: S101 - the step is about it
        return _(
            "Your employer cannot defer now: pay %(amount)s for the months so far at once, and "
            "the later months every month as usual.",
            amount=money(lapse.total_due),
        )
    if step == "not_eligible":
        return _("Your employer cannot defer: pay the unit contributions every month as usual.")
    if step == "reduction_program":
        return _("This program reduced the unit rate; see the reduced amounts month by month.")
    return _("Nothing to do now.")


def choice_label(choice: str, start: str | None, end: str | None) -> str:
    if choice == "opt_out":
        return _("Opt out and pay every month as usual")
    return _("Defer the months %(start)s to %(end)s", start=start, end=end)


def consequence_text(standing: Standing, choice: str, start: str | None) -> str:
    if choice == "opt_out":
        return _(
            "Your employer will pay the unit contributions every month as usual. Nothing is "
            "deferred. You can change this until %(date)s.",
            date=day(standing.decision_until),
        )
    option = standing.option(start)
    assert option is not None  # noqa: S101 - validate_choice has accepted the start
    period = option.period
    return _(
        "The unit part for %(start)s to %(end)s is deferred without late fees. Pay it all by "
        "%(deadline)s; from %(late)s, late fees of %(rate)s a day run on anything still unpaid. "
        "The personal part is still withheld and paid every month. You can change this until "
        "%(until)s.",
        start=option.start,
        end=option.end,
        deadline=day(period.deadline),
        late=day(period.late_fee_from),
        rate=percent(standing.program.late_fee.daily_rate.value),
        until=day(option.decision_until),
    )


def deferral_2020_notice(kind: str, context: dict) -> str:
    """What the home page says of a decided 2020 deferral by application (临医保发〔2020〕28号
    操作细则 一（二）; 锡医保服务〔2020〕11号 三（一）): approved, its months, the amount and the
    catch-up day (``portal.rules.deferral_request``); returned, the reason; a draft, that it is
    not sent."""
    reference = context.get("reference") or ""
    if kind == "application_rejected":
        return _(
            "Your 2020 deferral application %(reference)s was returned: %(reason)s",
            reference=reference,
            reason=context.get("reason") or "—",
        )
    if kind == "application_draft":
        return _(
            "Your 2020 deferral application %(reference)s is not sent yet.", reference=reference
        )
    deferral = context.get("deferral") or {}
    months = {"reference": reference, "start": deferral.get("start"), "end": deferral.get("end")}
    approved = _(
        "Your 2020 deferral application %(reference)s was approved: the months %(start)s to "
        "%(end)s are deferred without late fee.",
        **months,
    )
    amount, deadline = deferral.get("amount"), deferral.get("catch_up_by")
    if deadline is None:
        return approved
    if amount is None:
        return approved + " " + _("Pay them in full by %(deadline)s.", deadline=day(deadline))
    return (
        approved
        + " "
        + _(
            "Pay the %(amount)s deferred in full by %(deadline)s.",
            amount=money(amount),
            deadline=day(deadline),
        )
    )
