from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import rules
from portal.core.paging import page_number
from portal.facts.deferral_2020 import deferral_2020_for
from portal.facts.departures import due_at_once
from portal.facts.standing import employer_programs, employer_standing
from portal.features.api.operations import AccessError, grant_access, revoke_grant
from portal.features.api.queries import employer_grants, get_grant_or_404, standing_clients
from portal.features.auth.operations import ACTIVATION_SEED, code_again
from portal.features.employer import bp
from portal.features.employer.forms import ApiGrantForm, InviteForm
from portal.features.employer.operations import MemberError, invite_finance_staff, remove_member
from portal.features.employer.queries import get_membership_or_404, history_page, members_of
from portal.features.held.queries import ended_deferrals
from portal.features.reminders.queries import employer_notices
from portal.labels import error_message, put_error
from portal.labels.standing import next_step_text, reason_texts
from portal.util.clock import today
from portal.web import submissions
from portal.web.forms import ConfirmForm, SelectChoice, entered
from portal.web.permissions import (
    EMPLOYER_APPLY,
    EMPLOYER_DECIDE,
    EMPLOYER_MEMBERS,
    EMPLOYER_VIEW,
    can,
    permission,
)


@bp.route("/")
@permission(EMPLOYER_VIEW)
def home(employer):
    on = today()
    standing = employer_standing(employer, on)
    programs = [rules.load_program(p) for p in employer_programs(employer, on)]
    # A 2020 deferral followed to the end, where the employer sees a 2020 program.
    catch_up = (
        deferral_2020_for(employer, None, on)
        if any(p.kind == "reduction" for p in programs)
        else None
    )
    return render_template(
        "employer/home.html",
        employer=employer,
        standing=standing,
        earlier_programs=programs[1:],
        catch_up_2020=catch_up,
        notices=employer_notices(employer, standing, on, catch_up_2020=catch_up),
        next_step=next_step_text(
            standing,
            may_decide=can(current_user, EMPLOYER_DECIDE, g.employer_role),
            may_apply=can(current_user, EMPLOYER_APPLY, g.employer_role),
        ),
        reasons=reason_texts(standing, employer),
        history=history_page(employer, page_number(request.args)),
        due_now=due_at_once(employer, standing),
        changes=ended_deferrals(employer, standing, on),
    )


@bp.route("/members")
@permission(EMPLOYER_MEMBERS)
def members(employer):
    return _render_members(employer, InviteForm())


def _render_members(employer, invite_form: InviteForm):
    return render_template(
        "employer/members.html",
        employer=employer,
        members=members_of(employer),
        form=ConfirmForm(),
        invite_form=invite_form,
    )


@bp.route("/members/invite", methods=["POST"])
@permission(EMPLOYER_MEMBERS)
def invite(employer):
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_members(employer, form)
    code, plain = invite_finance_staff(
        employer,
        actor=current_user,
        valid_days=current_app.config["ACTIVATION_CODE_DAYS"],
        email=form.email.data,
        seed=submissions.secret(ACTIVATION_SEED),
    )
    submissions.answered(code.id)
    return render_template("employer/invite_code.html", employer=employer, code=code, plain=plain)


@submissions.replays("employer.invite")
def _invite_again(answer: submissions.Answer, employer):
    """The same invitation sent again: its code, made again from the form's key."""
    again = code_again(answer.ref, submissions.secret(ACTIVATION_SEED), employer_id=employer.id)
    if again is None:
        raise submissions.SentAlready()
    code, plain = again
    return render_template("employer/invite_code.html", employer=employer, code=code, plain=plain)


@bp.route("/members/<int:membership_id>/remove", methods=["POST"])
@permission(EMPLOYER_MEMBERS)
def remove(employer, membership_id: int):
    membership = get_membership_or_404(employer, membership_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            remove_member(employer, membership, actor=current_user)  # False: removed meanwhile
        except MemberError as error:
            flash(error_message(error), "error")
        else:
            flash(_("%(name)s no longer has access.", name=membership.user.display_name), "success")
    return redirect(url_for("employer.members", employer_id=employer.id))


# ------------------------------------------------- systems the owner lets read its standing


@bp.route("/api-access", methods=["GET", "POST"])
@permission(EMPLOYER_MEMBERS)
def api_access(employer):
    """The owner grants a system (payroll, an accounting firm) its standing until a day, and
    sees and revokes its grants. Never agency staff: hall staff acting have no EMPLOYER_MEMBERS."""
    clients = {client.id: client for client in standing_clients()}
    form = ApiGrantForm()
    form.client_id.choices = [SelectChoice(str(i), c.name) for i, c in clients.items()]
    if form.validate_on_submit():
        try:
            grant_access(
                employer, clients[form.client_id.data], entered(form.until.data), actor=current_user
            )
        except AccessError as error:
            put_error(form, error)
        else:
            flash(_("The system can read your standing until the day you chose."), "success")
            return redirect(url_for("employer.api_access", employer_id=employer.id))
    return render_template(
        "employer/api_access.html",
        employer=employer,
        form=form,
        grants=employer_grants(employer),
        revoke_form=ConfirmForm(),
        today=today(),
    )


@bp.route("/api-access/<int:grant_id>/revoke", methods=["POST"])
@permission(EMPLOYER_MEMBERS)
def revoke_api_access(employer, grant_id: int):
    grant = get_grant_or_404(employer, grant_id)
    if ConfirmForm().validate_on_submit() and revoke_grant(employer, grant, actor=current_user):
        flash(_("The system can no longer read your standing."), "success")
    return redirect(url_for("employer.api_access", employer_id=employer.id))
