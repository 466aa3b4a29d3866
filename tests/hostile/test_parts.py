"""A part of the wrong kind (a file for a text field, text for a file field) is an error on
that field, in every form, through BaseForm: never a 500, nothing changed.

The battery's reproduction was ``curl -F email=@any.txt`` on /reminders/settings with a valid
session and token: ``TypeError: object of type 'FileStorage' has no len()``.
"""

from __future__ import annotations

import io

import pytest
from flask import url_for
from sqlalchemy import func, select
from wtforms import FileField, SelectField, SelectMultipleField

from portal.core.extensions import db
from portal.models import AuditEntry, ServiceHall, User
from portal.web.forms import BaseForm
from tests.applications.helpers import errors
from tests.conftest import csrf_token, sign_in
from tests.test_permissions import world  # noqa: F401 - the fixture: every kind of row

WRONG_FILE = "请直接在页面上填写此项，不能用文件代替"
WRONG_TEXT = "请在此处选择要上传的文件，不能用文字代替"


def _forms() -> list[type[BaseForm]]:
    found, todo = [], [BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        found.append(cls)
    return sorted(found, key=lambda cls: cls.__qualname__)


def test_every_field_of_every_form_refuses_a_part_of_the_wrong_kind(app):
    checked = 0
    for form_class in _forms():
        names = {
            name: isinstance(field, FileField)
            for name, field in form_class(meta={"csrf": False}, formdata=None)._fields.items()
        }
        data = {
            name: "not a file" if is_file else (io.BytesIO(b"x"), "any.txt")
            for name, is_file in names.items()
        }
        with app.test_request_context(
            "/", method="POST", data=data, content_type="multipart/form-data"
        ):
            form = form_class(meta={"csrf": False})
            for field in form:
                if isinstance(field, SelectField | SelectMultipleField) and field.choices is None:
                    field.choices = []  # a view gives these their choices
            assert form.validate() is not bool(names), form_class
            for field in form:
                assert field.errors == [WRONG_TEXT if names[field.name] else WRONG_FILE], (
                    form_class,
                    field.name,
                    field.errors,
                )
                checked += 1
    assert checked > 60  # every field of some 38 forms


def _file(name: str = "any.txt"):
    return (io.BytesIO(b"x"), name)


# The battery's endpoints: (user, endpoint, the field sent as a file, other fields).
BATTERY = [
    ("owner_a", "reminders.settings", "email", {}),
    ("owner_a", "employer.invite", "email", {}),
    ("reviewer", "review.reject_application", "reason", {}),
    ("reviewer", "reports.tax_list", "on", {"file_format": "csv"}),
    ("admin", "admin.new_hall", "city", {"district": "东昌府区", "address": "柳园南路1号"}),
    ("admin", "admin.edit_hall", "address", {"city": "聊城市", "district": "东昌府区"}),
]


@pytest.mark.parametrize(("user", "endpoint", "field", "others"), BATTERY)
def test_a_text_field_sent_as_a_file_is_a_message_on_that_field(
    app,
    client,
    world,  # noqa: F811
    user,
    endpoint,
    field,
    others,
):
    sign_in(client, world["users"][user])
    rule = next(app.url_map.iter_rules(endpoint))
    with app.test_request_context():
        url = url_for(endpoint, **{name: world[name] for name in rule.arguments})
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    halls = db.session.scalar(select(func.count()).select_from(ServiceHall))
    response = client.post(
        url,
        data={"csrf_token": csrf_token(client), field: _file(), **others},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert WRONG_FILE in errors(response)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert db.session.scalar(select(func.count()).select_from(ServiceHall)) == halls
    owner = db.session.get(User, world["users"]["owner_a"].id)
    assert owner.email != "x"


@pytest.mark.parametrize(
    ("user", "endpoint", "field", "others"),
    [
        ("reviewer", "imports.index", "file", {"kind": "list"}),
        ("hall", "hall.visit", "letter", {"visitor_name": "张三", "capacity": "agent"}),
        ("anonymous", "verify.letter", "pdf", {}),
    ],
)
def test_a_file_field_sent_text_is_a_message_on_that_field(
    app,
    client,
    world,  # noqa: F811
    user,
    endpoint,
    field,
    others,
):
    if user != "anonymous":
        sign_in(client, world["users"][user])
    rule = next(app.url_map.iter_rules(endpoint))
    with app.test_request_context():
        url = url_for(endpoint, **{name: world[name] for name in rule.arguments})
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    for content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        response = client.post(
            url,
            data={"csrf_token": csrf_token(client), field: "%PDF-1.7 not a file", **others},
            content_type=content_type,
        )
        assert response.status_code == 200
        assert WRONG_TEXT in errors(response)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_a_json_body_with_numbers_and_lists_is_not_a_500(client, world):  # noqa: F811
    sign_in(client, world["users"]["owner_a"])
    response = client.post(
        "/reminders/settings",
        json={"csrf_token": csrf_token(client), "email": {"a": [1, 2]}},
    )
    assert response.status_code == 200
    assert WRONG_FILE in errors(response)
