from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import rules
from portal.facts.deferral_2020 import deferral_2020_for
from portal.facts.rates import offset_plan_for, rate_table_for, reduction_programs
from portal.features.applications.operations import deferral_of
from portal.features.reductions import bp
from portal.features.reductions.forms import ReturnChoiceForm
from portal.features.reductions.operations import ReturnChoiceError, record_return_choice
from portal.features.reductions.queries import latest_deferral, return_choices
from portal.features.returns.queries import done_for
from portal.labels import put_error
from portal.util.clock import today
from portal.web import submissions
from portal.web.permissions import EMPLOYER_DECIDE, EMPLOYER_FINANCE, permission

# The figures of a row the page cites, in the order of its columns (and the personal part).
SHOWN_REFS = (
    "normal_unit_rate",
    "unit_rate",
    "maternity_rate",
    "over_collected",
    "payable_with",
    "personal_rate",
)


@bp.route("/")
@permission(EMPLOYER_FINANCE)
def rates(employer):
    programs = reduction_programs(employer, today())
    program_id = _pick(programs)
    if program_id is None:
        return render_template("reductions/none.html", employer=employer)
    table = rate_table_for(employer, program_id)
    application = latest_deferral(employer, program_id)
    history = return_choices(employer, program_id)
    choice = history[0] if history else None
    done = {r.item_key: r for r in done_for(employer.id) if r.program_id == program_id}
    return render_template(
        "reductions/rates.html",
        employer=employer,
        program=rules.load_program(program_id),
        programs=[rules.load_program(p) for p in programs],
        table=table,
        notes=_notes(table),
        choice=choice,
        history=history,
        plan=offset_plan_for(employer, choice),
        done=done,
        application=application,
        deferral=deferral_of(application) if application else None,
        catch_up=deferral_2020_for(employer, program_id, today()) if application else None,
    )


@bp.route("/return", methods=["GET", "POST"])
@permission(EMPLOYER_DECIDE)
def choose_return(employer):
    program_id = _pick(reduction_programs(employer, today()))
    if program_id is None:
        return redirect(url_for("reductions.rates", employer_id=employer.id))
    table = rate_table_for(employer, program_id)
    form = ReturnChoiceForm()
    if form.validate_on_submit():
        try:
            choice = record_return_choice(
                employer,
                table,
                form.choice.data,
                account=form.account.data,
                # The form's key (portal.web.submissions), else one of its own: a request
                # without a key is a submission of its own.
                token=submissions.claimed() or secrets.token_hex(32),
                today=today(),
                actor=current_user,
            )
        except ReturnChoiceError as error:
            put_error(form, error, default="choice")
        else:
            flash(
                _("Your choice is recorded (%(reference)s).", reference=choice.reference), "success"
            )
            return redirect(
                url_for("reductions.rates", employer_id=employer.id, program=program_id)
            )
    return render_template(
        "reductions/choose.html",
        employer=employer,
        program=rules.load_program(program_id),
        table=table,
        options=rules.return_options(program_id),
        form=form,
    ), (200 if request.method == "GET" or not form.errors else 400)


def _pick(programs: list[str]) -> str | None:
    """The program asked for in ``?program=`` when the employer sees it, else the latest."""
    asked = request.args.get("program")
    if asked in programs:
        return asked
    return programs[0] if programs else None


def _notes(table: rules.RateTable) -> dict[str, int]:
    """Number every clause the table cites once, in the order the page shows them."""
    numbered: dict[str, int] = {}
    refs = [table.refs["unit_type"]] if "unit_type" in table.refs else []
    for row in table.rows:
        refs.extend(row.refs[key] for key in SHOWN_REFS if key in row.refs)
    for ref in refs:
        numbered.setdefault(ref, len(numbered) + 1)
    return numbered
