"""One clock (issue 14, 3): every time the portal records or compares comes from
portal/util/clock.py.

A scan of portal/ with ``ast`` fails on any other read of the real time, and the behaviour tests
show a demonstration's date (PORTAL_TODAY=2022-08-15) on what the portal records: decisions,
letters, activation codes, audit rows, lockouts and rate limits. The real time is held at
2026-12-01 17:30 UTC, which is already 2 December (01:30) in China: the recorded moment is
then 2022-08-15 01:30 in China, 2022-08-14 17:30 UTC.
"""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.core import ratelimit
from portal.core.extensions import db
from portal.features.auth.operations import LoginPolicy, activate_account, authenticate
from portal.features.employer.operations import invite_finance_staff
from portal.models import AuditEntry, DeferralDecision, RateLimitWindow, User
from portal.rules.errors import DomainError
from portal.util import clock
from tests.conftest import post_form, sign_in
from tests.factories import PASSWORD

REPO_ROOT = Path(__file__).resolve().parent.parent
CHINA = ZoneInfo("Asia/Shanghai")
REAL_MOMENT = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
DEMO_MOMENT = datetime(2022, 8, 15, 1, 30, tzinfo=CHINA)

#: The one module that reads the real time.
ALLOWED = frozenset({"portal/util/clock.py"})
#: ``<class>.<method>`` of the datetime module that read the real time.
DATETIME_READS = frozenset({"now", "utcnow", "today"})
#: Functions of the time module that read the real time (``localtime()`` and the like read it
#: when called without a moment; they are refused outright, the clock has what they give).
TIME_READS = frozenset({"time", "time_ns", "localtime", "gmtime", "ctime", "asctime", "strftime"})
#: SQL functions that let the database read its own clock.
SQL_READS = frozenset(
    {"now", "current_timestamp", "current_date", "current_time", "localtimestamp", "localtime"}
)
SQL_WORDS = ("current_timestamp", "current_date", "current_time", "localtimestamp", "now()")
#: Calls whose string argument is SQL.
SQL_TEXT_CALLS = frozenset({"text", "literal_column", "DDL"})


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def real_time_reads(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, what) for every read of the real time in one module: the datetime module's
    now/utcnow/today, the time module's time() and friends, SQL now()/CURRENT_TIMESTAMP, under
    whatever names they were imported."""
    tree = ast.parse(source, filename=filename)
    modules: dict[str, str] = {}  # local name -> "datetime" | "time" (the modules)
    classes: set[str] = set()  # local names of datetime.datetime and datetime.date
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("datetime", "time"):
                    modules[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module in ("datetime", "time"):
            for alias in node.names:
                if node.module == "datetime" and alias.name in ("datetime", "date"):
                    classes.add(alias.asname or alias.name)
                if node.module == "time" and alias.name in TIME_READS:
                    found.append((node.lineno, f"from time import {alias.name}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node.value)
            if dotted is None:
                continue
            head, _, rest = dotted.partition(".")
            if node.attr in DATETIME_READS and (
                dotted in classes
                or (modules.get(head) == "datetime" and rest in ("datetime", "date"))
            ):
                found.append((node.lineno, f"{dotted}.{node.attr}"))
            elif node.attr in TIME_READS and modules.get(dotted) == "time":
                found.append((node.lineno, f"{dotted}.{node.attr}"))
            elif node.attr.lower() in SQL_READS and dotted.rpartition(".")[2] == "func":
                found.append((node.lineno, f"{dotted}.{node.attr}"))
        elif isinstance(node, ast.Call):
            strings = [
                arg
                for arg in node.args
                if (_dotted(node.func) or "").rpartition(".")[2] in SQL_TEXT_CALLS
            ]
            strings += [
                kw.value for kw in node.keywords if kw.arg in ("server_default", "server_onupdate")
            ]
            for value in strings:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    text = value.value.lower()
                    if any(word in text for word in SQL_WORDS):
                        found.append((value.lineno, f"SQL {value.value!r}"))
    return found


def tree_reads(root: Path) -> list[str]:
    problems = []
    for path in sorted((root / "portal").rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name in ALLOWED:
            continue
        source = path.read_text(encoding="utf-8")
        problems += [f"{name}:{line} {what}" for line, what in real_time_reads(source, name)]
    return problems


def test_nothing_in_portal_but_the_clock_reads_the_real_time():
    assert tree_reads(REPO_ROOT) == []


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import datetime, UTC\nx = datetime.now(UTC)",
        "from datetime import datetime as dt\nx = dt.utcnow()",
        "from datetime import date\nx = date.today()",
        "import datetime\nx = datetime.datetime.now()",
        "import datetime as d\ndefault = d.date.today",
        "import time\nx = time.time()",
        "import time as t\nx = int(t.time_ns())",
        "from time import time\nx = time()",
        "from sqlalchemy import func\nx = func.now()",
        "import sqlalchemy as sa\nx = sa.func.current_timestamp()",
        "from sqlalchemy import text\nx = Column(server_default=text('CURRENT_TIMESTAMP'))",
        "x = Column(server_default='now()')",
    ],
)
def test_the_scan_finds_each_way_of_reading_the_real_time(source):
    assert len(real_time_reads(source)) == 1, source


@pytest.mark.parametrize(
    "source",
    [
        "from portal.util import clock\nx = clock.now()\ny = clock.today()",
        "import time\nstart = time.perf_counter()\nx = time.monotonic()",
        "from datetime import date\nx = date.fromisoformat('2022-08-15')",
        "x = standing.today",
        "from sqlalchemy import func\nx = func.count()",
        "x = text('SELECT 1')",
    ],
)
def test_the_scan_lets_the_clock_and_durations_through(source):
    assert real_time_reads(source) == []


def test_the_scan_sees_a_read_hidden_in_a_tree(tmp_path):
    (tmp_path / "portal" / "feature").mkdir(parents=True)
    (tmp_path / "portal" / "util").mkdir(parents=True)
    (tmp_path / "portal" / "util" / "clock.py").write_text("import time\nx = time.time()\n")
    (tmp_path / "portal" / "feature" / "ops.py").write_text(
        "def f():\n    import datetime\n    return datetime.datetime.utcnow()\n"
    )
    assert tree_reads(tmp_path) == ["portal/feature/ops.py:3 datetime.datetime.utcnow"]


@pytest.fixture
def demo(app, monkeypatch):
    """The demonstration date 2022-08-15, while the real time is 2026-12-01 17:30 UTC."""
    app.config["PORTAL_TODAY"] = "2022-08-15"
    monkeypatch.setattr(clock, "_utcnow", lambda: REAL_MOMENT)
    return app


def _china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def test_the_clock_moment_is_the_demo_date_at_the_time_of_day_in_china(demo):
    assert clock.now() == DEMO_MOMENT
    assert clock.timestamp() == DEMO_MOMENT.timestamp()
    assert clock.today() == date(2022, 8, 15)


def test_a_decision_on_the_demo_date_records_the_demo_date(demo, client, make):
    employer = make.employer(make.agency(make.region("liaocheng-2022")))
    owner = make.user(employer=employer, role="owner")
    make.commit()
    sign_in(client, owner)
    url = f"/e/{employer.id}/deferral/"
    check = BeautifulSoup(post_form(client, url, {"choice": "opt_out"}).data, "html.parser")
    form = check.select_one("form[action$='/confirm']")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    assert post_form(client, f"{url}confirm", fields).status_code == 302
    decision = db.session.scalar(select(DeferralDecision))
    assert decision.decided_at == DEMO_MOMENT
    assert decision.reference.startswith("JD20220815-")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "decision.opt_out"))
    assert entry.at == DEMO_MOMENT


def test_the_letter_is_signed_on_the_date_it_is_issued(demo, client, make, monkeypatch):
    from portal.letters import document
    from tests.applications.helpers import fake_render, sign, walk_to_sign

    rendered: list[document.CommitmentLetterData] = []

    def spy(letter):
        rendered.append(letter)
        return fake_render(letter)

    monkeypatch.setattr(document, "render_commitment_letter", spy)
    employer = make.employer(
        make.agency(), list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner", display_name="张三")
    make.commit()
    sign_in(client, owner)
    walk_to_sign(client, employer)
    assert sign(client, employer).status_code == 302
    (letter,) = rendered
    context = document.commitment_letter_context(letter)
    assert context["signed_on"] == context["issued_on"] == "2022-08-15"
    assert letter.signed_at == DEMO_MOMENT
    stored = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "commitment.sign"))
    assert _china_day(stored.at) == date(2022, 8, 15)


def test_an_invitation_expires_counted_from_the_demo_date(demo, app, make):
    employer = make.employer()
    owner = make.user(employer=employer, role="owner")
    code, plain = invite_finance_staff(employer, actor=owner, valid_days=7)
    make.commit()
    assert code.expires_at == DEMO_MOMENT + timedelta(days=7)
    app.config["PORTAL_TODAY"] = "2022-08-23"  # eight days later: expired
    with pytest.raises(DomainError) as refused:
        activate_account(
            credit_code=employer.credit_code,
            code=plain,
            username="cashier",
            display_name="出纳",
            password=PASSWORD,
        )
    assert refused.value.code == "activation_invalid"
    app.config["PORTAL_TODAY"] = "2022-08-21"  # six days later: still good
    user = activate_account(
        credit_code=employer.credit_code,
        code=plain,
        username="cashier",
        display_name="出纳",
        password=PASSWORD,
    )
    assert user.created_at == datetime(2022, 8, 21, 1, 30, tzinfo=CHINA)


def test_the_audit_page_filtered_by_the_demo_date_finds_its_rows(demo, client, make):
    admin = make.user(staff_role="admin", display_name="孙管理")
    make.commit()
    sign_in(client, admin)
    post_form(client, "/language", {"locale": "en"})  # audited as user.set_locale

    def actions(query: str) -> list[str]:
        page = BeautifulSoup(client.get(f"/admin/audit?{query}").data, "html.parser")
        rows = page.select("#audit tbody tr")
        return [tr.select("td")[3].select_one(".hint").text for tr in rows]

    assert actions("from_date=2022-08-15&to_date=2022-08-15") == ["user.set_locale"]
    # Those rows' UTC date is 2022-08-14; China's date is the one that counts.
    assert actions("from_date=2022-08-14&to_date=2022-08-14") == []


def test_a_lockout_lasts_from_the_demo_moment(demo, app, make):
    user = make.user(username="locked-out")
    make.commit()
    policy = LoginPolicy(max_failures=2, lock_minutes=15)
    for _ in range(2):
        assert authenticate("locked-out", "wrong", policy) is None
    user = db.session.get(User, user.id)
    assert user.locked_until == DEMO_MOMENT + timedelta(minutes=15)
    assert authenticate("locked-out", PASSWORD, policy) is None  # still locked
    app.config["PORTAL_TODAY"] = "2022-08-16"  # a day later the lock is over
    assert authenticate("locked-out", PASSWORD, policy) == user


def test_a_rate_limit_window_is_a_minute_of_the_demo_clock(demo, monkeypatch):
    assert ratelimit.hit("lookup:1.2.3.4") == 1
    window = db.session.scalar(select(RateLimitWindow.window_start))
    assert window == int(DEMO_MOMENT.timestamp()) // 60
    # Midnight in China: the demonstration's date starts over, the clock goes back a day. The
    # windows left "ahead" go, so that tomorrow at this time counts from one again.
    monkeypatch.setattr(clock, "_utcnow", lambda: REAL_MOMENT + timedelta(hours=23))
    assert ratelimit.hit("lookup:1.2.3.4") == 1
    monkeypatch.setattr(clock, "_utcnow", lambda: REAL_MOMENT + timedelta(days=1))
    assert ratelimit.hit("lookup:1.2.3.4") == 1


def test_a_session_ends_when_the_demo_date_starts_over(demo, client, make, monkeypatch):
    employer = make.employer()
    owner = make.user(employer=employer, role="owner")
    make.commit()
    sign_in(client, owner)
    assert client.get(f"/e/{employer.id}/").status_code == 200
    # Half a minute back (clocks of two workers a little apart): still signed in.
    monkeypatch.setattr(clock, "_utcnow", lambda: REAL_MOMENT - timedelta(seconds=30))
    assert client.get(f"/e/{employer.id}/").status_code == 200
    # 23 hours on it is 00:30 in China: the demonstration's clock went back an hour.
    monkeypatch.setattr(clock, "_utcnow", lambda: REAL_MOMENT + timedelta(hours=23))
    response = client.get(f"/e/{employer.id}/")
    assert response.status_code == 302 and "/login" in response.location
