"""The amounts page writes its calculator's date field itself while it has no error to show
(templates/amounts/schedule.html): exactly what the field macro writes, in both languages."""

from __future__ import annotations

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from portal.features.amounts.forms import PayOnForm
from tests.conftest import sign_in
from tests.selfservice.conftest import assess
from tests.selfservice.test_amounts import _shandong
from tests.selfservice.test_home_and_decision import english

MACRO = '{% from "macros/forms.html" import field %}{{ field(form.pay_on, width="10") }}'


def squeezed(html: str) -> str:
    return " ".join(html.split()).replace("> <", "><")


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("pay_on", [None, "2022-11-10", "2022-02-30", ""])
def test_the_calculator_field_is_what_the_macro_writes(app, client, make, locale, pay_on):
    employer, owner = _shandong(make)
    assess(employer, {"2022-07": "3333.33", "2022-08": "3333.33", "2022-09": "3333.34"})
    sign_in(client, owner)
    if locale == "en":
        english(client)
    query = {} if pay_on is None else {"pay_on": pay_on}
    page = client.get(f"/e/{employer.id}/amounts/", query_string=query)
    assert page.status_code == 200
    with app.test_request_context("/", headers={"Accept-Language": locale}):
        from flask import session

        session["locale"] = locale
        form = PayOnForm(MultiDict(query), meta={"csrf": False})
        if pay_on is not None:
            form.validate()
        expected = render_template_string(MACRO, form=form)
    assert 'id="pay_on"' in expected and (pay_on is None or form.errors or pay_on in expected)
    assert squeezed(expected) in squeezed(page.text)
