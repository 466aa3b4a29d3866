"""Issue 28 item 15: a hall clerk whose visit has ended (30 minutes idle on the amounts page,
a visit started in another tab or on another computer, a stop, a sign-out) and who then
follows a link of the employer's pages still open (departures, the schedule's CSV and Excel)
is told so, with the way to act again, not shown a bare "page not found"."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.core.extensions import db
from portal.models import ActingSession
from tests.conftest import post_form, sign_in
from tests.hall.conftest import OTHER_VISITOR_ID, start_visit


def _page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _amounts_links(client, employer) -> list[str]:
    """The departures and download links of the amounts page, as the clerk sees them."""
    page = _page(client.get(f"/e/{employer.id}/amounts/"))
    links = [
        a["href"]
        for a in page.select("a[href]")
        if a["href"].endswith(("/departures", "/schedule.csv", "/schedule.xlsx"))
    ]
    assert sorted(set(links)) == [
        f"/e/{employer.id}/amounts/departures",
        f"/e/{employer.id}/amounts/schedule.csv",
        f"/e/{employer.id}/amounts/schedule.xlsx",
    ]
    return links


def _not_acting(response) -> tuple[str, str, list[str]]:
    """The heading, the explanation and the links of the page a clerk not acting meets."""
    assert response.status_code == 404
    page = _page(response)
    main = page.select_one("#not-acting")
    assert main is not None, page.get_text(" ", strip=True)[:500]
    links = [a["href"] for a in main.select("a[href]")]
    return page.h1.get_text(strip=True), main.get_text(" ", strip=True), links


def _last_visit() -> ActingSession:
    return db.session.scalars(select(ActingSession).order_by(ActingSession.id.desc())).first()


def test_after_30_minutes_idle_the_amounts_links_say_the_visit_ended(acting_client, hall_world):
    employer = hall_world["employer"]
    links = _amounts_links(acting_client, employer)
    visit = _last_visit()
    visit.last_seen_at -= timedelta(minutes=31)  # the clerk explained the amounts to the visitor
    db.session.commit()
    for link in links:
        response = acting_client.get(link)
        title, text, actions = _not_acting(response)
        # Said once: the page, without the notice other pages show when a visit ends idle.
        assert _page(response).get_text().count("30 分钟内没有任何操作") == 1
        assert title == "您现在没有代该单位办理"
        assert employer.name in text
        assert "30 分钟内没有任何操作" in text
        assert "页面不存在" not in text
        assert f"/hall/employers/{employer.id}/visit" in actions
    # Acting again opens the same links.
    start_visit(acting_client, employer)
    for link in links:
        assert acting_client.get(link).status_code == 200


def test_a_visit_started_in_another_tab_is_named(acting_client, hall_world):
    employer, similar = hall_world["employer"], hall_world["similar"]
    links = _amounts_links(acting_client, employer)
    start_visit(acting_client, similar, id_number=OTHER_VISITOR_ID)  # the second tab
    _title, text, actions = _not_acting(acting_client.get(links[0]))
    assert "您开始代其他单位办理" in text
    assert similar.name in text
    assert f"/e/{similar.id}/" in actions
    assert f"/hall/employers/{employer.id}/visit" in actions


def test_a_visit_started_on_another_computer_ends_this_one_visibly(app, acting_client, hall_world):
    employer, similar = hall_world["employer"], hall_world["similar"]
    links = _amounts_links(acting_client, employer)
    elsewhere = app.test_client()
    sign_in(elsewhere, hall_world["hall"])
    start_visit(elsewhere, similar, id_number=OTHER_VISITOR_ID)
    _title, text, actions = _not_acting(acting_client.get(links[1]))
    assert "您开始代其他单位办理" in text
    # This browser acts for nobody now: no link to the other employer from here.
    assert actions[0] == f"/hall/employers/{employer.id}/visit"


def test_after_a_stop_or_a_sign_out_the_page_says_so(acting_client, hall_world):
    employer = hall_world["employer"]
    links = _amounts_links(acting_client, employer)
    post_form(acting_client, "/hall/stop", token_from=f"/e/{employer.id}/")
    _title, text, _actions = _not_acting(acting_client.get(links[2]))
    assert "结束代" in text and employer.name in text
    start_visit(acting_client, employer)
    post_form(acting_client, "/logout", token_from="/halls")
    sign_in(acting_client, hall_world["hall"])  # e.g. the sign-in page's ?next= leads back
    _title, text, _actions = _not_acting(acting_client.get(links[0]))
    assert "退出登录" in text


def test_a_clerk_who_never_acted_is_offered_to_act(client, hall_world):
    sign_in(client, hall_world["hall"])
    employer = hall_world["employer"]
    _title, text, actions = _not_acting(client.get(f"/e/{employer.id}/amounts/departures"))
    assert "只有在代该单位办理时才能打开" in text and employer.name in text
    assert actions[0] == f"/hall/employers/{employer.id}/visit"


def test_other_people_still_meet_a_plain_not_found(client, hall_world):
    """Another agency's clerk, a reviewer, another employer's owner: nothing about the employer."""
    employer = hall_world["employer"]
    for user in ("hall_other", "reviewer", "owner_elsewhere", "admin"):
        sign_in(client, hall_world[user])
        response = client.get(f"/e/{employer.id}/amounts/schedule.csv")
        assert response.status_code == 404
        text = _page(response).get_text(" ", strip=True)
        assert _page(response).select_one("#not-acting") is None
        assert employer.name not in text and "页面不存在" in text


def test_links_of_a_tab_left_open_after_opting_out_lead_to_the_amounts_page(
    acting_client, hall_world, make
):
    """The amounts page opened before the employer opted out (in another tab, or by its
    owner): its departures and download links lead to the amounts page, which says that
    nothing is deferred, and a departure sent from it is not recorded, with a word why."""
    employer = hall_world["employer"]
    links = _amounts_links(acting_client, employer)
    make.decision(employer, hall_world["owner"], "opt_out")
    make.commit()
    for link in links:
        response = acting_client.get(link, follow_redirects=True)
        assert response.status_code == 200
        assert response.request.path == f"/e/{employer.id}/amounts/"
        page = _page(response)
        assert page.select_one("#opted-out") is not None
        assert "没有缓缴的金额" in page.select_one("[role=status]").get_text()
    departures = f"/e/{employer.id}/amounts/departures"
    response = acting_client.post(
        departures, data={"person_ref": "P1", "reason": "left"}, follow_redirects=True
    )
    assert response.request.path == f"/e/{employer.id}/amounts/"
    assert "未登记" in _page(response).select_one("[role=status]").get_text()
