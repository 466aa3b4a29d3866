"""Issue 28 item 15: a hall clerk acting for an employer follows every link under /e/<id>/ that
the pages offer (the amounts page, its CSV and Excel downloads, departures...) and meets no 404
or 403, with the demo's employers of the clerk's agency, in the 2022 and the 2020 demo."""

from __future__ import annotations

from urllib.parse import urljoin, urlparse

from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.cli.demo import load_demo_data
from portal.core.extensions import db
from portal.models import Employer, User
from tests.conftest import sign_in
from tests.hall.conftest import PDF_BYTES, start_visit


def _walk(client, start: str) -> tuple[set[str], list[tuple[str, int]]]:
    """Every page under ``start`` reachable by links (GET, query strings kept)."""
    seen: set[str] = set()
    refused: list[tuple[str, int]] = []
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code >= 400:
            refused.append((path, response.status_code))
            continue
        if response.status_code in (301, 302, 303, 307, 308):
            todo.append(urlparse(response.headers["Location"]).path)
            continue
        if "html" not in response.content_type:
            continue
        page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        for anchor in page.select("a[href]"):
            url = urlparse(urljoin(path, anchor["href"]))
            target = url.path + (f"?{url.query}" if url.query else "")
            if url.path.startswith(start) and target not in seen:
                todo.append(target)
    return seen, refused


def test_an_acting_clerk_meets_no_404_on_any_link_of_the_employer(app, client):
    load_demo_data()
    db.session.commit()
    hall = db.session.scalar(select(User).where(User.username == "hall"))
    employers = list(
        db.session.scalars(
            select(Employer).where(Employer.agency_id == hall.agency_id).order_by(Employer.id)
        )
    )
    walked: dict[str, set[str]] = {}
    for today in ("2022-08-15", "2022-10-20", "2020-03-20"):
        app.config["PORTAL_TODAY"] = today
        sign_in(client, hall)  # a date that goes back ends the session: sign in again
        for employer in employers:
            # The capacity does not change the clerk's rights: both once, then the usual one.
            capacities = ("legal_representative", "agent") if today == "2022-08-15" else ()
            for capacity in capacities or ("legal_representative",):
                letter = PDF_BYTES if capacity == "agent" else None
                response = start_visit(client, employer, letter=letter, capacity=capacity)
                assert response.status_code == 302, response.get_data(as_text=True)[:2000]
                seen, refused = _walk(client, f"/e/{employer.id}/")
                assert refused == [], (today, employer.name, capacity)
                walked.setdefault(employer.name, set()).update(
                    path.removeprefix(f"/e/{employer.id}") for path in seen
                )
    # The journeys the issue names were walked: the amounts page, both downloads, departures.
    assert {
        "/amounts/",
        "/amounts/schedule.csv",
        "/amounts/schedule.xlsx",
        "/amounts/departures",
    } <= walked["聊城市示例商贸有限公司"]
