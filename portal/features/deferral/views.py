from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import Row, bindparam, select

from portal.core.extensions import db
from portal.core.rows import plain_rows
from portal.facts.cache import kept
from portal.facts.standing import employer_standing
from portal.features.deferral import bp
from portal.features.deferral.forms import ChoiceForm, ConfirmDecisionForm
from portal.features.deferral.operations import (
    CHOICES,
    DecisionError,
    record_decision,
    validate_choice,
)
from portal.labels import put_error
from portal.labels.standing import choice_label, consequence_text, reason_texts
from portal.models import DeferralDecision, User
from portal.rules.standing import DecisionFact
from portal.util.clock import today
from portal.util.numbers import parse_id
from portal.web.forms import SelectChoice
from portal.web.permissions import EMPLOYER_DECIDE, EMPLOYER_VIEW, permission


@bp.route("/", methods=["GET", "POST"])
@permission(EMPLOYER_DECIDE)
def choose(employer):
    history = _history(employer)
    current = DecisionFact(*history[0][:5]) if history else None
    standing = employer_standing(employer, today(), decision=current)
    form = _choice_form(standing)
    if form.validate_on_submit():
        choice, start = _split(form.choice.data)
        try:
            validate_choice(standing, choice, start)
        except DecisionError as error:
            put_error(form, error, default="choice")
        else:
            confirm = ConfirmDecisionForm(
                formdata=None,
                choice=form.choice.data,
                based_on=str(standing.decision.id) if standing.decision else "",
            )
            return render_template(
                "deferral/check.html",
                employer=employer,
                standing=standing,
                form=confirm,
                label=choice_label(choice, start, _end(standing, start)),
                consequence=consequence_text(standing, choice, start),
            )
    return render_template(
        "deferral/choose.html",
        employer=employer,
        standing=standing,
        form=form,
        history=history,
        reasons=reason_texts(standing, employer),
    )


@bp.route("/confirm", methods=["POST"])
@permission(EMPLOYER_DECIDE)
def confirm(employer):
    form = ConfirmDecisionForm()
    choice, start = _split(form.choice.data)
    if not form.validate_on_submit() or choice not in CHOICES:
        return redirect(url_for("deferral.choose", employer_id=employer.id))
    based_on = parse_id(form.based_on.data)  # isdigit() took "²", which int() refuses
    try:
        decision = record_decision(
            employer, choice, start, based_on=based_on, today=today(), actor=current_user
        )
    except DecisionError as error:
        standing = employer_standing(employer, today())
        chooser = _choice_form(standing, formdata=None)
        put_error(chooser, error, default="choice")
        return render_template(
            "deferral/choose.html",
            employer=employer,
            standing=standing,
            form=chooser,
            history=_history(employer),
            reasons=reason_texts(standing, employer),
        ), 409
    return redirect(url_for("deferral.done", employer_id=employer.id, reference=decision.reference))


@bp.route("/<reference>")
@permission(EMPLOYER_VIEW)
def done(employer, reference: str):
    decision = db.session.scalar(
        select(DeferralDecision).where(
            DeferralDecision.employer_id == employer.id, DeferralDecision.reference == reference
        )
    )
    if decision is None:
        abort(404)
    return render_template(
        "deferral/done.html",
        employer=employer,
        decision=decision,
        label=choice_label(decision.choice, decision.period_start, decision.period_end),
    )


def _choice_form(standing, formdata=...):
    form = ChoiceForm() if formdata is ... else ChoiceForm(formdata=formdata)
    choices = [
        SelectChoice(f"defer:{o.start}", choice_label("defer", o.start, o.end))
        for o in standing.options
        if o.is_open
    ]
    choices.append(SelectChoice("opt_out", choice_label("opt_out", None, None)))
    form.choice.choices = choices
    return form


def _split(value: str | None) -> tuple[str, str | None]:
    choice, _sep, start = (value or "").partition(":")
    return choice, start or None


def _end(standing, start: str | None) -> str | None:
    option = standing.option(start)
    return option.end if option else None


# Built once: the decision page runs it every time (building a statement and its cache key
# costs about as much as running it). Newest first, as the standing's current decision is
# read (portal.facts.standing.CURRENT_DECISION): the first row is that decision, its first
# five columns a DecisionFact.
DECISION_HISTORY = (
    select(
        DeferralDecision.id,
        DeferralDecision.choice,
        DeferralDecision.period_start,
        DeferralDecision.period_end,
        DeferralDecision.reference,
        DeferralDecision.decided_at,
        User.staff_role.is_not(None).label("by_staff"),
        User.display_name.label("by_name"),
    )
    .join(User, User.id == DeferralDecision.decided_by_id)
    .where(DeferralDecision.employer_id == bindparam("employer_id"))
    .order_by(DeferralDecision.decided_at.desc(), DeferralDecision.id.desc())
)


def _history(employer) -> tuple[Row, ...]:
    """Every decision of the employer, newest first, with who made it (one statement; kept
    per facts version, which a new decision moves on)."""
    return kept(
        employer,
        ("decisions",),
        lambda: tuple(plain_rows(DECISION_HISTORY, employer_id=employer.id)),
    )
