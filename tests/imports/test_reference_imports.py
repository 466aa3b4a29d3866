"""The reference data as imports: agencies (and their pooling regions), fund reserve, rates.

Whole file or nothing, every refusal in words, every created or changed row audited with what
it held before and after; agency staff import only their own region's figures, and no agencies.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.features.imports import cells
from portal.features.imports.kinds import KINDS, kinds_for
from portal.features.imports.operations import ImportError_, run
from portal.features.imports.presenting import outcome_errors
from portal.features.imports.reader import Source
from portal.models import Agency, AuditEntry, FundReserve, ImportRecord, PoolingRegion, RegionRate
from tests.applications.helpers import multipart_post, soup, text_of
from tests.conftest import csrf_token, sign_in, through_job

AGENCY_HEADER = (
    "医保经办机构代码,经办机构名称,统筹地区代码,统筹地区名称,地址,电话,统计联系人,联系电话"
)
RESERVE_HEADER = "统筹地区代码,年月,可支付月数"
RATES_HEADER = "统筹地区代码,起始年月,单位医疗费率,生育费率"
REGION_CODE = "请填写统筹地区的 6 位行政区划代码（GB/T 2260），如 371500"


def _cli(app, tmp_path, kind: str, *lines: str, options=("--json",)):
    path = tmp_path / f"{kind}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    result = app.test_cli_runner().invoke(args=["portal", "import", kind, str(path), *options])
    return result.exit_code, (json.loads(result.output) if "--json" in options else result.output)


def _check(kind: str, *lines: str, scope: int | None = None):
    source = Source.from_bytes(f"{kind}.csv", ("\n".join(lines) + "\n").encode())
    return run(kind, source, scope_agency_id=scope, apply=False)


def _errors(outcome) -> list[tuple[int, str, str]]:
    return [(e["line"], e["column"], e["message"]) for e in outcome_errors(outcome)]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _audits(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


# ------------------------------------------------------------------------------ agencies


def test_agencies_create_their_regions_then_change_only_what_differs(app, tmp_path):
    lines = (
        AGENCY_HEADER,
        "LC01,聊城市医疗保障服务中心,371500,聊城市,聊城市东昌府区柳园南路1号,0635-8888888,王统计,0635-8888889",
        "LC02,东昌府区医保服务站,371500,聊城市,,,,",
        "WH01,乌海市医疗保障服务中心,150300,乌海市,,（0473）1234567,,",
    )
    code, data = _cli(app, tmp_path, "agencies", *lines)
    assert code == 0, data
    assert data == {
        "kind": "agencies",
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "applied": True,
        "errors": [],
        "held": [],  # every kind's JSON has the list's key; only the list holds changes
    }
    regions = {r.code: r for r in db.session.scalars(select(PoolingRegion))}
    assert sorted(regions) == ["150300", "371500"]  # the first agency naming it created it
    assert (regions["371500"].name, regions["371500"].province) == ("聊城市", "山东省")
    assert regions["150300"].province == "内蒙古自治区"  # from the code (regions.yaml)
    assert regions["150300"].program_on(__import__("datetime").date(2022, 8, 1)) == (
        "inner-mongolia-2022"
    )
    lc01 = db.session.scalar(select(Agency).where(Agency.code == "LC01"))
    assert (lc01.address, lc01.phone, lc01.report_contact, lc01.report_contact_phone) == (
        "聊城市东昌府区柳园南路1号",
        "0635-8888888",
        "王统计",
        "0635-8888889",
    )
    wh01 = db.session.scalar(select(Agency).where(Agency.code == "WH01"))
    assert wh01.phone == "(0473)1234567" and wh01.address is None
    created = _audits("agency.create")
    assert [a.details["after"]["code"] for a in created] == ["LC01", "LC02", "WH01"]
    assert created[0].details["before"] is None and created[0].details["line"] == 2
    assert created[0].details["via"] == "command line" and created[0].object_type == "Agency"
    assert [a.details["after"]["code"] for a in _audits("region.create")] == ["371500", "150300"]

    # The same file again changes nothing; a new phone and a blank address (kept) change one.
    code, again = _cli(app, tmp_path, "agencies", *lines)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    code, changed = _cli(
        app,
        tmp_path,
        "agencies",
        AGENCY_HEADER,
        "LC01,聊城市医疗保障服务中心,371500,聊城市,,0635-7777777,,",
    )
    assert code == 0 and (changed["updated"], changed["unchanged"]) == (1, 0)
    db.session.expire_all()
    lc01 = db.session.get(Agency, lc01.id)
    assert lc01.phone == "0635-7777777" and lc01.address == "聊城市东昌府区柳园南路1号"
    [update] = _audits("agency.update")
    assert update.details["before"]["phone"] == "0635-8888888"
    assert update.details["after"]["phone"] == "0635-7777777"
    assert "address" not in update.details["after"]  # a blank optional cell keeps it


def test_an_agency_moves_to_another_region_and_a_region_is_renamed(app, tmp_path):
    _cli(app, tmp_path, "agencies", AGENCY_HEADER, "LC01,甲,371500,聊城,,,,")
    code, data = _cli(
        app,
        tmp_path,
        "agencies",
        AGENCY_HEADER,
        "LC01,甲,371502,东昌府区,,,,",
        "LC02,乙,371500,聊城市,,,,",
    )
    assert code == 0 and (data["created"], data["updated"]) == (1, 1)
    lc01 = db.session.scalar(select(Agency).where(Agency.code == "LC01"))
    assert lc01.region.code == "371502"
    [moved] = _audits("agency.update")
    assert (moved.details["before"]["region_code"], moved.details["after"]["region_code"]) == (
        "371500",
        "371502",
    )
    [renamed] = _audits("region.update")
    assert (renamed.details["before"]["name"], renamed.details["after"]["name"]) == (
        "聊城",
        "聊城市",
    )
    # Only the region's name differs: the row changes the region, not the agency.
    code, data = _cli(app, tmp_path, "agencies", AGENCY_HEADER, "LC02,乙,371500,聊城市区,,,,")
    assert code == 0 and (data["updated"], data["unchanged"]) == (1, 0)
    assert len(_audits("region.update")) == 2 and len(_audits("agency.update")) == 1


def test_every_bad_agency_cell_is_refused_in_words_and_nothing_is_written(app, tmp_path):
    code, data = _cli(
        app,
        tmp_path,
        "agencies",
        AGENCY_HEADER,
        "LC01,聊城市医保中心,371500,聊城市,,,,",  # good, but the file is refused as a whole
        "L C,甲,3715,聊城市,,,,",
        ",,440100,,=HYPERLINK(1),abc,王\x07,12",
        "LC01,重复,371500,聊城市,,,,",
        "LC09,丙,371500,聊城,,,,",
        f"LC10,{'长' * 101},371500,聊城市,,,,",
    )
    assert code == 1 and data["applied"] is False
    errors = [(e["line"], e["column"], e["message"]) for e in data["errors"]]
    assert errors == [
        (3, "医保经办机构代码", "只能使用字母、数字和 - _ . /"),
        (3, "统筹地区代码", REGION_CODE),
        (4, "医保经办机构代码", "此项必填"),
        (4, "经办机构名称", "此项必填"),
        (
            4,
            "统筹地区代码",
            "本平台没有适用于统筹地区 440100 的政策：其代码须属于实施缓缴政策的省份"
            "（山东省 (37)、江苏省 (32)、内蒙古自治区 (15)）。请核对代码",
        ),
        (4, "统筹地区名称", "此项必填"),
        (4, "地址", errors[6][2]),
        (4, "电话", "请用数字填写电话号码，需要时可用 - ( ) 或“转”加分机号"),
        (4, "统计联系人", errors[8][2]),
        (4, "联系电话", "请用数字填写电话号码，需要时可用 - ( ) 或“转”加分机号"),
        (5, "医保经办机构代码", "与第 2 行重复"),
        (6, "统筹地区名称", "第 2 行将此统筹地区称为“聊城市”：同一统筹地区请使用同一名称"),
        (7, "经办机构名称", errors[12][2]),
    ]
    assert "公式" in errors[6][2] and "控制字符" in errors[8][2] and "100" in errors[12][2]
    assert _count(PoolingRegion) == _count(Agency) == 0
    assert _audits("region.create") == [] and _audits("agency.create") == []
    assert db.session.scalar(select(ImportRecord.status)) == "refused"


def test_the_english_column_names_are_accepted(app, tmp_path):
    code, data = _cli(
        app,
        tmp_path,
        "agencies",
        "agency_code,agency_name,region_code,region_name",
        "WX01,无锡市医疗保险基金管理中心,320200,无锡市",
    )
    assert code == 0 and data["created"] == 1
    code, data = _cli(
        app, tmp_path, "fund-reserve", "region_code,month,months", "320200,202207,9.5"
    )
    assert code == 0 and data["created"] == 1
    code, data = _cli(
        app,
        tmp_path,
        "rates",
        "region_code,start_month,unit_medical_rate,maternity_rate",
        "320200,2022-01,0.07,0.008",
    )
    assert code == 0 and data["created"] == 1


# ------------------------------------------------------------------------------ fund reserve


@pytest.fixture
def regions(make):
    liaocheng = make.agency(make.region("liaocheng-2022", reserve=None, code="371500"))
    wuhai = make.agency(make.region("inner-mongolia-2022", reserve=None, code="150300"))
    make.commit()
    return liaocheng, wuhai


def test_a_fund_reserve_file_records_each_month_and_a_dry_run_writes_nothing(
    app, tmp_path, regions
):
    lines = (RESERVE_HEADER, "150300,2022-06,5.8", "150300,202207,7", "371500,2022-07,14.20")
    code, dry = _cli(app, tmp_path, "fund-reserve", *lines, options=("--json", "--dry-run"))
    assert code == 0 and dry["applied"] is False and dry["created"] == 3
    assert _count(FundReserve) == 0 and _audits("fund_reserve.create") == []
    code, data = _cli(app, tmp_path, "fund-reserve", *lines)
    assert code == 0 and data["applied"] is True and data["created"] == 3
    stored = db.session.execute(
        select(PoolingRegion.code, FundReserve.month, FundReserve.months)
        .join(PoolingRegion)
        .order_by(PoolingRegion.code, FundReserve.month)
    ).all()
    assert [tuple(r) for r in stored] == [
        ("150300", "2022-06", Decimal("5.80")),
        ("150300", "2022-07", Decimal("7.00")),
        ("371500", "2022-07", Decimal("14.20")),
    ]
    code, data = _cli(app, tmp_path, "fund-reserve", RESERVE_HEADER, "150300,2022-07,6.5")
    assert (data["updated"], data["created"]) == (1, 0)
    [update] = _audits("fund_reserve.update")
    assert update.details["before"] == {
        "region_code": "150300",
        "month": "2022-07",
        "months": "7.00",
    }
    assert update.details["after"] == {"region_code": "150300", "month": "2022-07", "months": "6.5"}
    assert update.object_type == "FundReserve"
    # Without --json: the rows refused, in words, and the summary.
    code, output = _cli(
        app, tmp_path, "fund-reserve", RESERVE_HEADER, "999999,2022-07,6", options=()
    )
    assert code == 1
    assert "第 2 行 统筹地区代码：没有此代码的统筹地区，请先导入其医保经办机构" in output
    assert "未作任何改动" in output


def test_every_bad_fund_reserve_cell_is_refused_in_words(app, regions):
    outcome = _check(
        "fund-reserve",
        RESERVE_HEADER,
        "150300,2022-13,-1",
        "15030,2022-07,1e3",
        "150300,2022-08,abc",
        "150300,2022-09,12345",
        "150300,2022-10,6.555",
        "440100,2022-07,8",
        "150300,2022-08,9",  # line 4's month, but line 4 was refused: not a repeat
        "150300,2022-08,9.5",
        "150300,2022-11,",
    )
    reserve = (
        "请填写统筹基金累计结存可支付月数："
        "不小于 0 的数字，最多 2 位小数，如 6.5（不带正负号或指数）"
    )
    assert _errors(outcome) == [
        (2, "年月", "请按 YYYYMM 或 YYYY-MM 填写年月"),
        (2, "可支付月数", reserve),
        (3, "统筹地区代码", REGION_CODE),
        (3, "可支付月数", reserve),
        (4, "可支付月数", reserve),
        (5, "可支付月数", reserve),
        (6, "可支付月数", reserve),
        (7, "统筹地区代码", "没有此代码的统筹地区，请先导入其医保经办机构"),
        (9, "统筹地区代码", "与第 8 行重复"),
        (10, "可支付月数", "此项必填"),
    ]


# ------------------------------------------------------------------------------ rates


def test_rates_from_a_month_are_recorded_and_bad_rates_refused(app, tmp_path, regions):
    code, data = _cli(
        app, tmp_path, "rates", RATES_HEADER, "371500,2020-01,0.06,0.01", "371500,2023-01,0.065,0"
    )
    assert code == 0 and data["created"] == 2
    rows = db.session.execute(
        select(
            RegionRate.start_month, RegionRate.unit_medical_rate, RegionRate.maternity_rate
        ).order_by(RegionRate.start_month)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("2020-01", Decimal("0.0600"), Decimal("0.0100")),
        ("2023-01", Decimal("0.0650"), Decimal("0.0000")),
    ]
    [first, _second] = _audits("region_rate.create")
    assert first.details["after"] == {
        "region_code": "371500",
        "start_month": "2020-01",
        "unit_medical_rate": "0.06",
        "maternity_rate": "0.01",
    }
    outcome = _check(
        "rates",
        RATES_HEADER,
        "371500,2022-01,6.5,0.01",
        "371500,2022-02,1,1.0",
        "371500,2022-03,0.00625,-0.01",
        "371500,2022-04,6.5%,NaN",
        "371500,2022-05,0.06,0.01",
        "371500,2022-05,0.065,0.01",
    )
    rate = "请用 0 到 1 之间的小数填写费率，最多 4 位小数，如 6.5% 填 0.065"
    assert _errors(outcome) == [
        (2, "单位医疗费率", rate),
        (3, "单位医疗费率", rate),
        (3, "生育费率", rate),
        (4, "单位医疗费率", rate),
        (4, "生育费率", rate),
        (5, "单位医疗费率", rate),
        (5, "生育费率", rate),
        (7, "统筹地区代码", "与第 6 行重复"),
    ]


# ------------------------------------------------------------------------------ who may


def test_agency_staff_import_figures_for_their_own_region_only(app, make, regions):
    liaocheng, _wuhai = regions
    outcome = _check(
        "fund-reserve",
        RESERVE_HEADER,
        "371500,2022-07,14",
        "150300,2022-07,8",
        scope=liaocheng.id,
    )
    assert _errors(outcome) == [
        (3, "统筹地区代码", "此行属于其他统筹地区，只能导入本经办机构所在统筹地区的数据")
    ]
    outcome = _check("rates", RATES_HEADER, "150300,2022-01,0.06,0.01", scope=liaocheng.id)
    assert [e[0] for e in _errors(outcome)] == [2]
    assert not _check(
        "rates", RATES_HEADER, "371500,2022-01,0.06,0.01", scope=liaocheng.id
    ).is_refused
    with pytest.raises(ImportError_) as refused:
        _check("agencies", AGENCY_HEADER, "LC01,甲,371500,聊城市,,,,", scope=liaocheng.id)
    assert refused.value.code == "every_agency_only"
    assert "agencies" not in kinds_for(liaocheng.id) and "fund-reserve" in kinds_for(liaocheng.id)
    assert list(kinds_for(None)) == list(KINDS)


def _upload(client, kind: str, body: bytes):
    return through_job(
        client,
        multipart_post(
            client,
            "/imports/",
            {"csrf_token": csrf_token(client, "/imports/"), "kind": kind},
            [("file", f"{kind}.csv", body)],
        ),
    )


def test_the_import_page_offers_each_role_what_it_may_import(client, make, regions):
    liaocheng, _wuhai = regions
    reviewer = make.user(staff_role="reviewer", agency=liaocheng)
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, reviewer)
    offered = [o["value"] for o in soup(client.get("/imports/")).select("select[name=kind] option")]
    assert "agencies" not in offered and {"fund-reserve", "rates"} <= set(offered)
    refused = _upload(client, "agencies", f"{AGENCY_HEADER}\nLC09,甲,371500,聊城市,,,,\n".encode())
    assert refused.status_code == 200 and _count(ImportRecord) == 0
    assert soup(refused).select_one(".error-summary")
    # Its own region's reserve: checked, then applied on purpose, audited as the reviewer.
    checked = _upload(client, "fund-reserve", f"{RESERVE_HEADER}\n371500,2022-07,14.2\n".encode())
    page = client.get(checked.location)
    form = soup(page).select_one("form[action$='/apply']")
    client.post(
        form["action"],
        data={
            "csrf_token": csrf_token(client, "/imports/"),
            "sha256": form.select_one("input[name=sha256]")["value"],
        },
    )
    [created] = _audits("fund_reserve.create")
    assert created.actor_id == reviewer.id and "via" not in created.details
    assert db.session.scalar(select(FundReserve.months)) == Decimal("14.20")
    sign_in(client, admin)
    offered = [o["value"] for o in soup(client.get("/imports/")).select("select[name=kind] option")]
    assert offered == list(KINDS)
    assert "统计联系人" in text_of(client.get("/imports/"))  # the columns of every kind


def test_the_command_offers_every_kind():
    from portal.cli import import_command

    kind = next(p for p in import_command.params if p.name == "kind")
    assert list(kind.type.choices) == list(KINDS)


# ------------------------------------------------------------------------------ the parsers


@given(st.text(max_size=30))
def test_any_phone_cell_is_a_number_or_a_worded_refusal(text):
    try:
        phone = cells.phone(text)
    except cells.CellError as error:
        assert error.code in {"required", "phone", "too_long"}
        return
    assert len(phone) <= cells.PHONE_CHARS and sum(c.isdigit() for c in phone) >= 5


@given(st.one_of(st.text(max_size=12), st.decimals(allow_nan=True).map(str)))
def test_any_rate_or_reserve_cell_is_in_range_or_a_worded_refusal(text):
    for parse, code, top in (
        (cells.rate, "rate", 1),
        (cells.reserve_months, "reserve_months", 10_000),
    ):
        try:
            value = parse(text)
        except cells.CellError as error:
            assert error.code in {code, "required"}
            continue
        assert value.is_finite() and 0 <= value < top
        assert -value.as_tuple().exponent <= (4 if code == "rate" else 2)


@given(st.text(alphabet="0123456789３７１５０ ", max_size=8))
def test_a_region_code_is_six_digits_and_covered_or_refused(text):
    try:
        code = cells.covered_region_code(text)
    except cells.CellError as error:
        assert error.code in {"region_code", "uncovered_region"}
        return
    assert len(code) == 6 and code.isdigit() and code[:2] in {"37", "32", "15"}


def test_the_mobile_number_is_an_optional_column(app, tmp_path):
    """手机号码 (the Wuxi 附表's footer): a new optional column; a file without it still
    imports, and a blank cell keeps what is stored."""
    header = AGENCY_HEADER + ",手机号码"
    code, data = _cli(
        app,
        tmp_path,
        "agencies",
        header,
        "WX01,无锡市医疗保障局,320200,无锡市,,,钱统计,0510-81821234,139 1234 5678",
    )
    assert code == 0 and data["created"] == 1, data
    wx01 = db.session.scalar(select(Agency).where(Agency.code == "WX01"))
    assert wx01.report_contact_mobile == "139 1234 5678"
    assert _audits("agency.create")[0].details["after"]["report_contact_mobile"] == "139 1234 5678"
    code, kept = _cli(app, tmp_path, "agencies", header, "WX01,无锡市医疗保障局,320200,无锡市,,,,,")
    assert (code, kept["unchanged"]) == (0, 1)
    code, bad = _cli(
        app, tmp_path, "agencies", header, "WX01,无锡市医疗保障局,320200,无锡市,,,,,手机"
    )
    assert code == 1 and bad["errors"][0]["column"] == "手机号码", bad
    db.session.expire_all()
    assert wx01.report_contact_mobile == "139 1234 5678"
