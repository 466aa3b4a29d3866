"""Hostile values in every form field and query parameter of every route: never a 5xx.

Hypothesis picks a route, a method, path arguments (real ids, ids past the column, hostile
text) and a form of hostile values (exponents, NaN, huge digit strings, NUL, text-direction
overrides, CJK, 10,000 characters, hostile files; fields missing, repeated or unknown),
with a real CSRF token most of the time so that validation runs to the end. Every field of a
form is also sent as a part of the wrong kind, one at a time: a file for a text field, text for
a file field (``curl -F email=@any.txt``).
"""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import FileField
from wtforms.fields.core import UnboundField

from portal.core.extensions import db
from portal.letters import document
from portal.models import Employer
from portal.web.forms import BaseForm
from tests.applications.helpers import fake_render
from tests.conftest import csrf_token, sign_in
from tests.hall.helpers import hall_visit
from tests.test_permissions import world  # noqa: F401 - the fixture: every kind of row

HOSTILE_TEXT = [
    "",
    " ",
    "\u3000",
    "0",
    "-1",
    "1.5",
    "45",
    "1e700000",
    "1E5",
    "NaN",
    "sNaN",
    "-Infinity",
    "9" * 40,
    "9" * 5000,
    "2147483648",
    "99999999999999999999",
    "-0",
    "0x1F",
    "１２３",
    "٣",
    "1,234",
    "1,23",
    "9999-12-31",
    "0001-01-01",
    "2022-02-30",
    "2022-08-15",
    "\x00",
    "a\x00b",
    "\u202eevil",
    "\u2066x\u2069",
    "\x1b[31m",
    "\x85",
    "聊城市示例商贸有限公司",
    "😀",
    "x" * 10_000,
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "%s%n%x",
    "' OR 1=1 --",
    "None",
    "retail",
    "other",
    "enter_code",
    "C1311",
    "leave",
    "legal_representative",
    "agent",
    "y",
    "en",
    "zh",
    "defer",
    "opt_out",
    "owner",
    "finance",
    "admin",
    "hall",
    "reviewer",
    "submitted",
    "//evil.example",
]
HOSTILE_FILES = [
    b"",
    b"%PDF-1.4\n1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF\n",
    b"%PDF-1.4\n%%EOF\n<html><script>alert(1)</script></html>",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    b"\xff\xd8\xff\xe0" + b"\x00" * 64,
    b"GIF89a",
    b"\x00" * 1000,
    b"PK\x03\x04",
]
EXTRA_NAMES = [
    "q",
    "page",
    "status",
    "program",
    "next",
    "from",
    "locale",
    "choice",
    "based_on",
    "pay_on",
    "person_ref",
    "csrf_token",
    "unknown_field",
    "files",
    "scan",
    "letter",
]
EXAMPLES_PER_ROUTE = 12  # about 80 routes: some 1,000 requests, well under a minute
SKIP = {"static", "auth.logout"}  # signing out would leave the rest of the run anonymous


def _unbound_fields() -> dict[str, UnboundField]:
    """Every field of every form, by name."""
    fields, todo = {}, [BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        fields.update(
            (name, getattr(cls, name))
            for name in dir(cls)
            if isinstance(getattr(cls, name), UnboundField)
        )
    return fields


NAMES = sorted(set(_unbound_fields()) | set(EXTRA_NAMES))
FILE_NAMES = {
    name for name, field in _unbound_fields().items() if issubclass(field.field_class, FileField)
} | {"files", "scan", "letter", "pdf"}
texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=30))


def _routes() -> list[tuple[str, str]]:
    from portal import create_app
    from portal.config import TestConfig

    app = create_app(TestConfig)
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in SKIP:
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            routes.extend((rule.endpoint, method) for method in methods)
    return sorted(routes)


def _role(app, endpoint: str) -> str:
    """Someone who may use the route, so that the request gets past the permission check."""
    from portal.web import permissions as p

    name = app.view_functions[endpoint].permission
    if name == p.PUBLIC:
        return "anonymous"
    if name == p.EMPLOYER_PAPER_SIGN:
        return "hall_acting"
    if name in p.EMPLOYER_SCOPED or name == p.SIGNED_IN:
        return "owner_a"
    return {p.REVIEW: "reviewer", p.ADMIN: "admin", p.BACK_OFFICE: "reviewer"}.get(name, "hall")


def _path_value(name: str, rows: dict, choice: int, text: str):
    if name in ("code", "reference"):
        return rows[name] if choice < 3 else text
    return [rows.get(name, 1), rows.get(name, 1), rows.get(name, 1), 2**31, 10**20][choice]


def _names_on_page(client, url: str) -> list[str]:
    response = client.get(url)
    if response.mimetype != "text/html":
        return []
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    found = {tag["name"] for tag in page.select("form [name]") if tag.get("name")}
    return sorted(found - {"csrf_token"})


@pytest.fixture
def fuzz_client(app, client, monkeypatch):
    monkeypatch.setattr(document, "render_commitment_letter", fake_render)
    for limit in ("LOGIN", "ACTIVATE", "API", "VERIFY"):
        app.config[f"{limit}_RATE_LIMIT_PER_MINUTE"] = 10_000
    return client


@pytest.mark.parametrize(("endpoint", "method"), _routes())
def test_no_hostile_request_gets_a_server_error(app, fuzz_client, world, endpoint, method):  # noqa: F811
    client = fuzz_client
    role = _role(app, endpoint)
    if role == "hall_acting":
        visit = hall_visit(db.session.get(Employer, world["employer_id"]), world["users"]["hall"])
        db.session.commit()
        sign_in(client, world["users"]["hall"])
        with client.session_transaction() as session:
            session["acting_id"] = visit.id
    elif role != "anonymous":
        sign_in(client, world["users"][role])
    token = csrf_token(client, "/login")
    rule = next(app.url_map.iter_rules(endpoint))

    def url_with(choice: int, text: str) -> str:
        values = {name: _path_value(name, world, choice, text) for name in rule.arguments}
        with app.test_request_context():
            return url_for(endpoint, **values)

    on_page = _names_on_page(client, url_with(0, "")) if "GET" in rule.methods else []
    names = on_page or NAMES

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        path_choice=st.integers(min_value=0, max_value=4),
        path_text=texts,
        every_field=st.fixed_dictionaries({name: texts for name in names}),
        keep=st.sets(st.sampled_from(names)),
        extra=st.lists(st.tuples(st.sampled_from(NAMES), texts), max_size=4),
        with_token=st.integers(min_value=0, max_value=9),
        files=st.lists(
            st.tuples(
                st.sampled_from(sorted(FILE_NAMES | set(names))), st.sampled_from(HOSTILE_FILES)
            ),
            max_size=3,
        ),
    )
    def check(path_choice, path_text, every_field, keep, extra, with_token, files):
        url = url_with(path_choice, path_text)
        data = MultiDict([(k, v) for k, v in every_field.items() if k in keep] + extra)
        if with_token:  # nine times in ten: a real token, so that the form is checked
            data.setlist("csrf_token", [token])
        if method == "GET":
            response = client.get(url, query_string=data)
        else:
            for name, body in files:
                data.add(name, FileStorage(io.BytesIO(body), filename="f.pdf"))
            response = client.post(url, data=data)
        assert response.status_code < 500, (endpoint, method, url, dict(data.lists()))

    check()
    if method == "POST":
        _each_field_as_the_wrong_kind(client, url_with(0, ""), on_page, token)


def _each_field_as_the_wrong_kind(client, url: str, on_page: list[str], token: str) -> None:
    """POST each of the page's fields alone as a part of the wrong kind (a file for a text
    field, text for a file field), with a real token; without a page, every name at once."""
    for names in [[name] for name in on_page] or [[n for n in NAMES if n != "csrf_token"]]:
        data = MultiDict({"csrf_token": token})
        for name in names:
            if name in FILE_NAMES:
                data.add(name, "not a file")
            else:
                data.add(name, FileStorage(io.BytesIO(b"x"), filename="any.txt"))
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code < 500, (url, names)
