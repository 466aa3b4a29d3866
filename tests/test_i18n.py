"""The Chinese catalogue is complete, and pages really render in Chinese (and in English)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup

from portal.config import REPO_ROOT
from tests.conftest import post_form

PO = REPO_ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    pot = Path(tmp_path_factory.mktemp("pot")) / "messages.pot"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.fixture(scope="module")
def catalog():
    with PO.open("rb") as handle:
        return read_po(handle)


def test_every_message_in_the_code_is_translated(extracted, catalog):
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(extracted - translated) == []


def test_no_fuzzy_or_obsolete_messages(extracted, catalog):
    assert [m.id for m in catalog if m.id and m.fuzzy] == []
    assert sorted({m.id for m in catalog if m.id} - extracted) == []


def test_placeholders_survive_translation(catalog):
    for message in catalog:
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
                PLACEHOLDER.findall(message.string)
            ), message.id


def test_pages_render_in_chinese_by_default(client):
    html = client.get("/").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "zh-CN"
    assert soup.select_one("h1").get_text(strip=True) == "缓缴职工医保单位缴费"
    assert "登录" in soup.select_one(".header-nav").get_text()


def test_the_language_switch_is_remembered(client, make):
    post_form(client, "/language", {"locale": "en"})
    soup = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    assert soup.html["lang"] == "en"
    assert soup.select_one("h1").get_text(strip=True).startswith("Defer your employer")


def test_a_signed_in_users_language_is_stored(app, client, make):
    from portal.core.extensions import db
    from portal.models import User
    from tests.conftest import sign_in

    user = make.user(employer=make.employer())
    make.commit()
    sign_in(client, user)
    post_form(client, "/language", {"locale": "en"})
    assert db.session.get(User, user.id).locale == "en"
    fresh = app.test_client()
    sign_in(fresh, user)
    soup = BeautifulSoup(
        fresh.get("/dashboard", follow_redirects=True).get_data(as_text=True), "html.parser"
    )
    assert soup.html["lang"] == "en"
