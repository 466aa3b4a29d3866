"""Refunds and offsets as work to carry out (issue 23 item 3): the agency's worklist of refunds
(account on file or "account needed") and offsets month by month into 2021, Jiangsu's July
already collected offset against later months, each row marked done with a reference, audited,
once, and seen by the employer."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.models import Assessment, AuditEntry, ReturnChoice, ReturnDone
from tests.applications.helpers import soup, text_of
from tests.conftest import post_form, press_download, sign_in

LINYI_BATCH = (
    "鲁医保发〔2020〕23号 四（有明确退费渠道的，无需参保单位提交申请报送相关资料，直接批量退费）"
)
LINYI_OPTIONS = "鲁医保发〔2020〕23号 四；临医保发〔2020〕28号 操作细则 三"
LINYI_OFFSET = "鲁医保发〔2020〕23号 四（冲抵以后月份的缴费）；临医保发〔2020〕28号 操作细则 三 1"
WUXI_REFUND = "锡医保服务〔2020〕11号 三（四）（可以优先办理退费）"
JIANGSU_JULY = "江苏省实施方案（2022） 三（二）（可从以后应缴费款中抵扣）"


def _assess(employer, month: str, base: str, unit: str) -> None:
    db.session.add(
        Assessment(
            employer_id=employer.id,
            month=month,
            headcount=5,
            contribution_base_amount=Decimal(base),
            unit_amount=Decimal(unit),
            personal_amount=Decimal("0.00"),
        )
    )


def _choice(employer, owner, program: str, choice: str, amount: str, **kw) -> ReturnChoice:
    row = ReturnChoice(
        reference=f"TF-{employer.id}",
        employer_id=employer.id,
        program_id=program,
        choice=choice,
        over_collected_amount=Decimal(amount),
        needs_application=True,
        decided_by_id=owner.id,
        submission_token=f"{employer.id:064d}",
        **kw,
    )
    db.session.add(row)
    return row


@pytest.fixture
def world(app, client, make):
    """Linyi: 甲 refunds to the account on file, 乙 has none, 丙 chooses an offset on 2020-12-15
    through its page; Wuxi/Jiangsu: 丁 deferring with July collected, 戊 a Wuxi refund."""
    app.config["PORTAL_TODAY"] = "2020-12-15"
    linyi = make.agency(make.region("linyi-2020"), code="LY01", name="临沂市医保中心")
    wuxi = make.agency(make.region("wuxi-2020"), code="WX01", name="无锡市医保中心")
    jia = make.employer(
        linyi, name="甲公司", refund_bank="中国银行临沂分行", refund_account="6217000012345678"
    )
    yi = make.employer(linyi, name="乙公司")
    bing = make.employer(linyi, name="丙公司", contribution_base_amount=Decimal("52000.00"))
    ding = make.employer(wuxi, name="丁公司", is_july_paid=True)
    wu = make.employer(wuxi, name="戊公司")
    owners = {e.name: make.user(employer=e, role="owner") for e in (jia, yi, bing, ding, wu)}
    _assess(bing, "2020-02", "52000.00", "3120.00")  # collected at 6 %, due 5 %: 520.00 over
    _assess(bing, "2021-01", "5000.00", "300.00")  # 6 % again from 2021-01
    for month, unit in (("2022-07", "700.00"), ("2022-08", "700.00"), ("2022-09", "700.00")):
        _assess(ding, month, "10000.00", unit)
    _assess(ding, "2022-10", "10000.00", "500.00")
    _assess(ding, "2022-11", "10000.00", "500.00")
    users = {
        "linyi": make.user(staff_role="reviewer", agency=linyi),
        "wuxi": make.user(staff_role="reviewer", agency=wuxi),
        "admin": make.user(staff_role="admin"),
    }
    _choice(jia, owners["甲公司"], "linyi-2020", "refund", "520.00")
    _choice(yi, owners["乙公司"], "linyi-2020", "refund", "310.00")  # its account since cleared
    _choice(wu, owners["戊公司"], "wuxi-2020", "refund", "400.00", account="工行无锡 6222001")
    make.commit()
    sign_in(client, owners["丙公司"])
    path = f"/e/{bing.id}/reductions/return"
    chosen = post_form(client, path, {"choice": "offset", "account": ""}, token_from=path)
    assert chosen.status_code == 302, text_of(chosen)
    assert db.session.scalar(select(ReturnChoice.offset_from).filter_by(employer_id=bing.id)) == (
        "2021-01"
    )
    app.config["PORTAL_TODAY"] = "2022-11-20"
    return {"jia": jia, "yi": yi, "bing": bing, "ding": ding, "wu": wu, **users, **owners}


def _rows(page, table: str) -> dict[str, str]:
    return {tr["id"]: tr.get_text(" ", strip=True) for tr in page.select(f"#{table} tbody tr")}


def _key(kind: str, world, name: str, month: str | None = None) -> str:
    employer = world[name]
    if kind == "july":
        return f"july-{employer.id}-{month}"
    choice_id = db.session.scalar(select(ReturnChoice.id).filter_by(employer_id=employer.id))
    return f"{kind}-{choice_id}" + (f"-{month}" if month else "")


# Each row: (scenario, table, key, what the row shows, clause)
SCENARIOS = [
    (
        "refund to the account the agency has: batch refund, no application",
        "refund-rows",
        ("refund", "jia", None),
        ["甲公司", "中国银行临沂分行 6217000012345678", "520.00", "办结"],
        LINYI_BATCH,
    ),
    (
        "refund without an account: the employer must give one first",
        "refund-rows",
        ("refund", "yi", None),
        ["乙公司", "需提供账户", "310.00"],
        LINYI_OPTIONS,
    ),
    (
        "Wuxi: February over-collected, refunded to the account given",
        None,  # another agency's: not on Linyi's list
        ("refund", "wu", None),
        ["戊公司", "工行无锡 6222001", "400.00"],
        WUXI_REFUND,
    ),
    (
        "offset chosen 2020-12-15 applied against 2021-01 at 6 %",
        "offset-rows",
        ("offset", "bing", "2021-01"),
        ["丙公司", "2021-01", "300.00", "220.00"],
        LINYI_OFFSET,
    ),
    (
        "the rest waits for 2021-02's assessment, said in words",
        "offset-rows",
        ("offset", "bing", "2021-02"),
        ["丙公司", "2021-02", "220.00", "2021-02 尚未核定"],
        LINYI_OFFSET,
    ),
    (
        "Jiangsu: July collected, its 700.00 offset against 2022-10",
        None,
        ("july", "ding", "2022-10"),
        ["丁公司", "2022-10", "500.00", "200.00"],
        JIANGSU_JULY,
    ),
    (
        "Jiangsu: and the rest against 2022-11",
        None,
        ("july", "ding", "2022-11"),
        ["丁公司", "2022-11", "200.00", "0.00"],
        JIANGSU_JULY,
    ),
]


def test_the_worklist_row_by_row_with_its_clause(client, world):
    sign_in(client, world["admin"])
    page = soup(client.get("/returns/"))
    everything = {
        **_rows(page, "refund-rows"),
        **_rows(page, "offset-rows"),
        **_rows(page, "july-rows"),
    }
    for scenario, _table, key, shown, clause in SCENARIOS:
        row = everything.get(_key(*key[:1], world, key[1], key[2]))
        assert row is not None, scenario
        for text in [*shown, clause]:
            if text == "办结":  # the row's action, before it is done
                assert "标记为已办结" in row, (scenario, row)
                continue
            assert text in row, (scenario, text, row)
    # Agency staff see their own agency's rows only.
    sign_in(client, world["linyi"])
    page = soup(client.get("/returns/"))
    linyi = {**_rows(page, "refund-rows"), **_rows(page, "offset-rows")}
    for scenario, table, key, _shown, _clause in SCENARIOS:
        assert (_key(key[0], world, key[1], key[2]) in linyi) == (table is not None), scenario
    assert page.select_one("#no-july") is not None


def test_the_2021_month_is_offset_once_assessed(client, world):
    _assess(world["bing"], "2021-02", "5000.00", "300.00")
    db.session.commit()
    sign_in(client, world["linyi"])
    rows = _rows(soup(client.get("/returns/")), "offset-rows")
    february = rows[_key("offset", world, "bing", "2021-02")]
    assert "220.00" in february and "尚未核定" not in february, february
    assert "0.00" in february.split("220.00")[-1]  # the balance is used up
    sign_in(client, world["丙公司"])
    page = soup(client.get(f"/e/{world['bing'].id}/reductions/"))
    assert [tr["id"] for tr in page.select("#offsets tbody tr")] == [
        "offset-2021-01",
        "offset-2021-02",
    ]
    assert page.select_one("#offset-waiting") is None


def _done(client, key: str, reference: str, form_key: str | None = None):
    path = f"/returns/{key}"
    data = {"reference": reference}
    if form_key:
        data["form_key"] = form_key
    return post_form(client, f"{path}/done", data, token_from=path)


def _audits(key: str) -> list[AuditEntry]:
    return [
        a
        for a in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "return.done"))
        if a.details.get("item") == key
    ]


def test_marking_done_audited_once_and_seen_by_the_employer(client, world):
    refund = _key("refund", world, "jia")
    sign_in(client, world["linyi"])
    form = soup(client.get(f"/returns/{refund}"))
    key = form.select_one("input[name=form_key]")["value"]
    assert "需提供" not in form.select_one("#item").get_text()
    missing = _done(client, refund, "  ")
    assert missing.status_code == 200 and "请填写" in text_of(missing)
    first = _done(client, refund, "ZH20221120-0001", key)
    again = _done(client, refund, "ZH20221120-0001", key)  # a double click
    assert first.status_code == again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(ReturnDone)) == 1
    (audit,) = _audits(refund)
    assert audit.details["before"] == {"status": "open"}
    assert audit.details["after"] == {
        "status": "done",
        "reference": "ZH20221120-0001",
        "done_on": "2022-11-20",
    }
    assert audit.details["clause"] == LINYI_BATCH
    row = _rows(soup(client.get("/returns/")), "refund-rows")[refund]
    assert "已完成" in row and "ZH20221120-0001" in row and "2022年11月20日" in row, row
    # A second clerk's form, sent after: refused in words, nothing changed.
    late = _done(client, refund, "OTHER")
    assert late.status_code == 409 and "已标记为已办结" in text_of(late)
    assert len(_audits(refund)) == 1
    # The refund without an account cannot be marked done.
    no_account = _done(client, _key("refund", world, "yi"), "X1")
    assert no_account.status_code == 409 and "没有可退费的账户" in text_of(no_account)
    # The offset of 2021-01; the employer sees both on its 2020 page.
    offset = _key("offset", world, "bing", "2021-01")
    assert _done(client, offset, "CD202101").status_code == 303
    sign_in(client, world["甲公司"])
    status = soup(client.get(f"/e/{world['jia'].id}/reductions/")).select_one("#refund-status")
    assert "ZH20221120-0001" in status.get_text() and "2022年11月20日" in status.get_text()
    sign_in(client, world["丙公司"])
    page = soup(client.get(f"/e/{world['bing'].id}/reductions/"))
    assert "CD202101" in page.select_one("#offset-2021-01").get_text()
    assert "220.00" in page.select_one("#offset-waiting").get_text()
    # Once money moved as chosen, the choice stands.
    assert page.select_one("#choose-return") is None
    path = f"/e/{world['bing'].id}/reductions/return"
    changed = post_form(client, path, {"choice": "refund", "account": "X 1"}, token_from=path)
    assert changed.status_code == 400 and "不能再更改" in text_of(changed)
    assert db.session.scalar(select(func.count()).select_from(ReturnChoice)) == 4


def test_july_offset_done_by_its_agency_only_and_seen_on_the_amounts_page(client, world):
    july = _key("july", world, "ding", "2022-10")
    sign_in(client, world["linyi"])  # another agency's staff
    assert client.get(f"/returns/{july}").status_code == 404
    assert _done(client, july, "SW-1").status_code == 404
    assert client.get("/returns/july-1-2022-13").status_code == 404  # no such month
    assert db.session.scalar(select(func.count()).select_from(ReturnDone)) == 0
    sign_in(client, world["wuxi"])
    assert _done(client, july, "SW202210-77").status_code == 303
    (done,) = db.session.scalars(select(ReturnDone))
    assert (done.kind, done.month, done.amount, done.clause) == (
        "july_offset",
        "2022-10",
        Decimal("500.00"),
        JIANGSU_JULY,
    )
    assert done.done_on == date(2022, 11, 20)
    sign_in(client, world["丁公司"])
    row = soup(client.get(f"/e/{world['ding'].id}/amounts/")).select_one("#july-offset-2022-10")
    assert "500.00" in row.get_text() and "SW202210-77" in row.get_text(), row


def test_the_files_carry_every_row_with_its_clause(client, world):
    sign_in(client, world["admin"])
    response = press_download(client, "/returns/")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["类型", "单位", "统一社会信用代码"] and "条款" in header
    assert len(body) == 7
    clauses = {row[header.index("条款")] for row in body}
    assert clauses == {LINYI_BATCH, LINYI_OPTIONS, WUXI_REFUND, LINYI_OFFSET, JIANGSU_JULY}
    needed = [r for r in body if r[header.index("单位")] == "乙公司"][0]
    assert needed[header.index("退费账户")] == "需提供账户"
    book = load_workbook(io.BytesIO(press_download(client, "/returns/", "xlsx").get_data()))
    sheet = book.worksheets[0]
    assert sheet.max_row == 8
    amounts = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert Decimal("520.00") in [Decimal(str(a)) for a in amounts]


def test_the_command_writes_the_same_file(app, world, tmp_path):
    output = tmp_path / "returns.csv"
    result = app.test_cli_runner().invoke(
        args=["portal", "export", "returns", "--agency", "LY01", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "4 rows, 4 not done" in result.output  # 甲, 乙, and 丙's two months
    rows = list(csv.reader(io.StringIO(output.read_bytes().decode("utf-8-sig"))))
    assert {r[1] for r in rows[1:]} == {"甲公司", "乙公司", "丙公司"}
    refused = app.test_cli_runner().invoke(
        args=["portal", "export", "returns", "--output", str(tmp_path / "x.pdf")]
    )
    assert refused.exit_code == 2 and ".csv or .xlsx" in refused.output


def test_the_staff_calendar_counts_what_is_ready_and_what_waits_for_an_account(client, world):
    sign_in(client, world["linyi"])
    entry = soup(client.get("/staff/employers")).select_one('[data-key="returns"]')
    assert entry is not None
    # 甲's refund (account on file) and 丙's 2021-01 offset are ready; 乙 has no account.
    assert "2 笔可办理；1 笔退费待单位提供账户" in entry.get_text(" ", strip=True)
    assert entry.select_one('a[href="/returns/"]') is not None
    # Wuxi's staff: 戊's refund is ready (its account came with the choice); 丁's July offsets.
    sign_in(client, world["wuxi"])
    entry = soup(client.get("/staff/employers")).select_one('[data-key="returns"]')
    assert entry is not None and "0 笔退费待单位提供账户" in entry.get_text(" ", strip=True)
