from __future__ import annotations

from flask import render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal import rules
from portal.core.extensions import db
from portal.core.ratelimit import enforce
from portal.features.auth.forms import credit_code_message
from portal.features.lookup import bp
from portal.features.lookup.forms import ClassificationForm, CreditCodeLookupForm, industry_choices
from portal.models import Employer
from portal.web.forms import add_error
from portal.web.permissions import PUBLIC, permission


@bp.route("/classification")
@permission(PUBLIC)
def classification():
    form = ClassificationForm(request.args)
    form.industry.choices = industry_choices(str(get_locale()))
    result = match = None
    if request.args and form.validate():
        match, result = _classify(form)
    return render_template(
        "lookup/classification.html",
        form=form,
        result=result,
        match=match,
        industries=rules.INDUSTRIES,
    )


@bp.route("/employer")
@permission(PUBLIC)
def employer():
    form = CreditCodeLookupForm(request.args)
    found = searched = None
    if form.credit_code.data:
        enforce("lookup", "API_RATE_LIMIT_PER_MINUTE")
        try:
            searched = rules.parse_uscc(form.credit_code.data).code
        except rules.InvalidCreditCode as error:
            form.credit_code.errors = [_lookup_message(error, form.credit_code.data)]
        else:
            found = db.session.scalar(select(Employer).where(Employer.credit_code == searched))
    return render_template("lookup/employer.html", form=form, found=found, searched=searched)


def _classify(form: ClassificationForm):
    """:return: (industry match or None, classification or None); errors go on the form."""
    from flask_babel import gettext as _

    match = None
    industry = form.industry.data
    if not industry:
        try:
            match = rules.industry_for_code(form.code.data)
        except rules.RulesError:
            add_error(
                form.code, _("Enter a GB/T 4754-2017 code: a section letter or 2 to 4 digits")
            )
            return None, None
        if match.industry is None:
            add_error(
                form.code,
                _("This code covers several industries: choose the industry from the list"),
            )
            return match, None
        industry = match.industry
    result = rules.classify(
        industry, employees=form.employees.data, revenue=form.revenue.data, assets=form.assets.data
    )
    return match, result


def _lookup_message(error: rules.InvalidCreditCode, text: str) -> str:
    """A short code is told how long it is and that only a whole credit code is looked up
    (issue 28 item 16(d): "9999" was told only to enter all 18 characters)."""
    if getattr(error, "code", "") == "wrong_length":
        return _(
            "A unified social credit code has 18 characters; you entered %(count)d. This page "
            "finds an employer by its whole credit code only, as printed on the business "
            "licence: not by part of it, its name or its insurance unit number",
            count=len(rules.normalise_uscc(text)),
        )
    return credit_code_message(error)
