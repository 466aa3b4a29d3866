"""Reference data pages: agencies (administrators), pooling regions with their fund reserve
and rates (administrators for every region, reviewers for their own agency's region)."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.features.reference import bp, queries
from portal.features.reference.forms import (
    NEW_REGION,
    AgencyForm,
    FundReserveForm,
    NewFundReserveForm,
    NewRatesForm,
    RatesForm,
)
from portal.features.reference.operations import (
    AGENCY_FIELDS,
    AgencyValues,
    Rates,
    ReferenceError,
    add_fund_reserve,
    add_rates,
    create_agency,
    update_agency,
    update_fund_reserve,
    update_rates,
)
from portal.labels import put_error
from portal.models import PoolingRegion
from portal.util.clock import today
from portal.web.forms import SelectChoice, entered
from portal.web.permissions import ADMIN, BACK_OFFICE, agency_scope, permission

# -------------------------------------------------------------------------------- agencies


@bp.route("/agencies")
@permission(BACK_OFFICE)
def agencies():
    return render_template(
        "reference/agencies.html", agencies=queries.agencies(agency_scope(current_user))
    )


@bp.route("/agencies/new", methods=["GET", "POST"])
@permission(ADMIN)
def new_agency():
    form = _agency_form(AgencyForm())
    if form.validate_on_submit():
        try:
            agency = create_agency(_agency_values(form), actor=current_user)
        except ReferenceError as error:
            put_error(form, error)
        else:
            flash(_("Added %(name)s.", name=agency.name), "success")
            return redirect(url_for("reference.agencies"))
    return render_template("reference/agency_form.html", form=form, agency=None, history=[])


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
@permission(ADMIN)
def edit_agency(agency_id: int):
    agency = queries.get_agency_or_404(agency_id)
    shown = {key: getattr(agency, key) for key in AGENCY_FIELDS}
    form = _agency_form(AgencyForm(data={**shown, "region": str(agency.region_id)}))
    if form.validate_on_submit():
        try:
            changed = update_agency(agency, _agency_values(form), actor=current_user)
        except ReferenceError as error:
            put_error(form, error)
        else:
            if changed:
                flash(_("Saved %(name)s.", name=agency.name), "success")
            return redirect(url_for("reference.agencies"))
    history = queries.history(agency, queries.AGENCY_ACTIONS)
    return render_template("reference/agency_form.html", form=form, agency=agency, history=history)


def _agency_form(form: AgencyForm) -> AgencyForm:
    form.region.choices = [
        SelectChoice("", _("Choose a pooling region")),
        *(SelectChoice(str(r.id), f"{r.code} {r.name}") for r in queries.all_regions()),
        SelectChoice(NEW_REGION, _("A new pooling region: enter its code and name below")),
    ]
    return form


def _agency_values(form: AgencyForm) -> AgencyValues:
    is_new = form.is_new_region

    def optional(text: str | None) -> str | None:
        return (text or "").strip() or None

    return AgencyValues(
        code=entered(form.code.data),
        name=entered(form.name.data).strip(),
        region_id=None if is_new else int(entered(form.region.data)),
        new_region_code=form.new_region_code.data if is_new else None,
        new_region_name=optional(form.new_region_name.data) if is_new else None,
        address=optional(form.address.data),
        phone=optional(form.phone.data),
        report_contact=optional(form.report_contact.data),
        report_contact_phone=optional(form.report_contact_phone.data),
        report_contact_mobile=optional(form.report_contact_mobile.data),
    )


# ------------------------------------------------------------------------ pooling regions


@bp.route("/regions")
@permission(BACK_OFFICE)
def regions():
    rows = queries.region_rows(queries.region_scope(current_user), today())
    return render_template("reference/regions.html", rows=rows, on=today())


@bp.route("/regions/<int:region_id>")
@permission(BACK_OFFICE)
def region(region_id: int):
    region = _region_or_404(region_id)
    return render_template(
        "reference/region.html",
        region=region,
        on=today(),
        reserves=queries.fund_reserves(region),
        rates=queries.region_rates(region),
    )


@bp.route("/regions/<int:region_id>/fund-reserve/new", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def new_fund_reserve(region_id: int):
    region = _region_or_404(region_id)
    form = NewFundReserveForm()
    if form.validate_on_submit():
        try:
            reserve = add_fund_reserve(
                region, entered(form.month.data), entered(form.months.data), actor=current_user
            )
        except ReferenceError as error:
            put_error(form, error)
        else:
            flash(_("Saved the fund reserve of %(month)s.", month=reserve.month), "success")
            return redirect(url_for("reference.region", region_id=region.id))
    return render_template(
        "reference/fund_reserve_form.html", form=form, region=region, reserve=None, history=[]
    )


@bp.route("/regions/<int:region_id>/fund-reserve/<int:reserve_id>", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def edit_fund_reserve(region_id: int, reserve_id: int):
    region = _region_or_404(region_id)
    reserve = queries.get_fund_reserve_or_404(region, reserve_id)
    form = FundReserveForm(data={"months": _plain(reserve.months)})
    if form.validate_on_submit():
        if update_fund_reserve(reserve, entered(form.months.data), actor=current_user):
            flash(_("Saved the fund reserve of %(month)s.", month=reserve.month), "success")
        return redirect(url_for("reference.region", region_id=region.id))
    history = queries.history(reserve, queries.FUND_RESERVE_ACTIONS)
    return render_template(
        "reference/fund_reserve_form.html",
        form=form,
        region=region,
        reserve=reserve,
        history=history,
    )


@bp.route("/regions/<int:region_id>/rates/new", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def new_rates(region_id: int):
    region = _region_or_404(region_id)
    form = NewRatesForm()
    if form.validate_on_submit():
        try:
            rate = add_rates(
                region, entered(form.start_month.data), _rates(form), actor=current_user
            )
        except ReferenceError as error:
            put_error(form, error)
        else:
            flash(_("Saved the rates from %(month)s.", month=rate.start_month), "success")
            return redirect(url_for("reference.region", region_id=region.id))
    return render_template(
        "reference/rates_form.html", form=form, region=region, rate=None, history=[]
    )


@bp.route("/regions/<int:region_id>/rates/<int:rate_id>", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def edit_rates(region_id: int, rate_id: int):
    region = _region_or_404(region_id)
    rate = queries.get_rate_or_404(region, rate_id)
    form = RatesForm(
        data={
            "unit_medical_rate": _plain(rate.unit_medical_rate),
            "maternity_rate": _plain(rate.maternity_rate),
        }
    )
    if form.validate_on_submit():
        if update_rates(rate, _rates(form), actor=current_user):
            flash(_("Saved the rates from %(month)s.", month=rate.start_month), "success")
        return redirect(url_for("reference.region", region_id=region.id))
    history = queries.history(rate, queries.RATE_ACTIONS)
    return render_template(
        "reference/rates_form.html", form=form, region=region, rate=rate, history=history
    )


def _region_or_404(region_id: int) -> PoolingRegion:
    return queries.get_region_or_404(region_id, queries.region_scope(current_user))


def _rates(form: RatesForm) -> Rates:
    return Rates(entered(form.unit_medical_rate.data), entered(form.maternity_rate.data))


def _plain(value: Decimal) -> Decimal:
    """A stored figure as typed: 14.2, not 14.20; 0.065, not 0.0650."""
    return value.normalize() if value != value.to_integral() else value.quantize(Decimal(1))
