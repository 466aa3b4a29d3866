"""Templates translate with Jinja's newstyle rules: variables escaped, "%%" a percent sign."""

from __future__ import annotations

from decimal import Decimal

from flask import render_template_string, session

from tests.conftest import sign_in


def _render(app, source: str, locale: str, **context) -> str:
    with app.app_context(), app.test_request_context():  # a request of its own, as served
        session["locale"] = locale
        return render_template_string(source, **context)


def test_variables_are_escaped_and_the_message_is_translated(app):
    source = "{% trans name=who %}Acting for {{ name }}{% endtrans %}|{{ _('Sign out') }}"
    assert _render(app, source, "en", who="<b>A&B</b>") == (
        "Acting for &lt;b&gt;A&amp;B&lt;/b&gt;|Sign out"
    )
    assert _render(app, source, "zh", who="<b>A&B</b>").endswith("|退出")


def test_a_double_percent_is_one_percent_sign_and_plurals_count(app):
    assert _render(app, "{{ _('100%% of it') }}", "en") == "100% of it"
    source = "{% trans count=n %}{{ count }} day{% pluralize %}{{ count }} days{% endtrans %}"
    assert _render(app, source, "en", n=1) == "1 day"
    assert _render(app, source, "en", n=3) == "3 days"


def test_messages_inside_loops_and_after_set_still_translate(app, client, make):
    region = make.region("liaocheng-2022", unit_medical_rate=Decimal("0.06"))
    employer = make.employer(make.agency(region), contribution_base_amount=Decimal("30000"))
    owner = make.user(employer=employer, role="owner")
    make.commit()
    sign_in(client, owner)
    page = client.get(f"/e/{employer.id}/amounts/").get_data(as_text=True)
    assert "逐月明细" in page  # after {% set q = ... %}
    assert page.count("<td>估算</td>") == 3  # inside the loop over the months
