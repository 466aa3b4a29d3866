"""The decision page writes its radios itself (templates/deferral/choose.html): exactly as
WTForms would, checked and required included."""

from __future__ import annotations

import pytest
from flask import render_template
from werkzeug.datastructures import MultiDict

from portal.core.extensions import db
from portal.facts.standing import employer_standing
from portal.features.deferral.views import _choice_form
from portal.models import Employer
from portal.util import clock


@pytest.mark.parametrize("submitted", [None, "opt_out", "defer:2022-08"])
def test_the_radios_are_what_wtforms_writes(app, listed, submitted):
    employer, _owner, _finance = listed
    with app.test_request_context("/"):
        employer = db.session.get(Employer, employer.id)
        standing = employer_standing(employer, clock.today())
        formdata = MultiDict({"choice": submitted}) if submitted else None
        form = _choice_form(standing, formdata=formdata)
        page = render_template(
            "deferral/choose.html", employer=employer, standing=standing, form=form, history=[]
        )
        expected = [
            f'<div class="radio">{option()} {option.label()}</div>' for option in form.choice
        ]
    assert len(expected) >= 2
    for radio in expected:
        assert radio in page
    assert page.count(" checked ") == (1 if submitted else 0)
