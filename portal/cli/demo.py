"""Demonstration data: one employer for every program and situation, one account per role."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select

from portal.core import audit
from portal.core.extensions import db
from portal.features.auth.passwords import hash_password
from portal.features.hall.operations import adopt_halls
from portal.features.imports.operations import import_file, run
from portal.features.imports.reader import Source
from portal.models import (
    Agency,
    Assessment,
    Employer,
    Membership,
    Payment,
    PersonAssessment,
    User,
)
from portal.models.base import Base

_Row = TypeVar("_Row", bound=Base)

DEMO_PASSWORD = "demo-portal-2022"  # noqa: S105 - published demonstration password
DEMO_ACCOUNTS = [
    ("owner-a", DEMO_PASSWORD, "employer owner (聊城市示例商贸有限公司)"),
    ("finance-a", DEMO_PASSWORD, "employer finance staff (聊城市示例商贸有限公司)"),
    ("owner-b", DEMO_PASSWORD, "employer owner (乌海市新创科技有限公司)"),
    ("hall", DEMO_PASSWORD, "service-hall staff (聊城市医保中心)"),
    ("reviewer", DEMO_PASSWORD, "agency reviewer (聊城市医保中心)"),
    ("reviewer-wh", DEMO_PASSWORD, "agency reviewer (乌海市医保中心)"),
    (
        "owner-ly",
        DEMO_PASSWORD,
        "employer owner (临沂市示例印刷有限公司: linyi-2020, shandong-2022)",
    ),
    ("owner-wx", DEMO_PASSWORD, "employer owner (无锡市个体便利店: wuxi-2020, jiangsu-2022)"),
    ("reviewer-ly", DEMO_PASSWORD, "agency reviewer (临沂市医保中心)"),
    ("admin", DEMO_PASSWORD, "administrator"),
]

# The demo's people with a confirmed e-mail address (example.com: nothing reaches anyone).
DEMO_ADDRESSES = {
    "owner-a": "owner-a@example.com",
    "finance-a": "finance-a@example.com",
    "owner-b": "owner-b@example.com",
    "reviewer": "reviewer@example.com",
    "reviewer-wh": "reviewer-wh@example.com",
}
DEMO_CONFIRMED_AT = datetime(2022, 8, 1, 2, 0, tzinfo=UTC)

REGIONS = [
    # code, name, fund reserve months, unit medical rate, maternity rate (the province and the
    # programs follow from the code: rules/data/regions.yaml; the rates are demonstration
    # values: the 2022 notices do not set them)
    ("371500", "聊城市", "14.2", "0.06", "0.01"),
    ("370100", "济南市", "11.0", "0.065", "0.01"),
    ("320200", "无锡市", "9.5", "0.07", "0.008"),
    ("320700", "连云港市", "5.8", "0.07", "0.008"),
    ("150300", "乌海市", "8.1", "0.065", "0.006"),
    ("371300", "临沂市", "10.0", "0.06", "0.01"),
]
#: The month the demonstration's fund reserve is reported for (in force from then on: the
#: 2022 programs that read it begin 2022-07) and the month its rates apply from (the 2020
#: programs' months are estimated with them too).
RESERVE_MONTH = "2022-01"
RATES_FROM = "2020-01"
AGENCIES = [
    ("LC01", "聊城市医疗保障服务中心", "371500"),
    ("JN01", "济南市医疗保障服务中心", "370100"),
    ("WX01", "无锡市医疗保险基金管理中心", "320200"),
    ("LYG1", "连云港市医疗保险基金管理中心", "320700"),
    ("WH01", "乌海市医疗保障服务中心", "150300"),
    ("LY01", "临沂市医疗保障服务中心", "371300"),
]
REGION_OF_AGENCY = {code: region for code, _name, region in AGENCIES}


def demo_credit_code(prefix: str, region_code: str, serial: int) -> str:
    """Build a valid USCC: prefix (2) + the registering region (6) + organisation code (9) +
    check, so that a Wuhai employer's code starts 91150300 and not with Liaocheng's 371500."""
    from stdnum.cn import uscc as _uscc

    body = f"{prefix}{region_code}{serial:08d}"
    org = body[8:16]
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(org, weights, strict=True))
    check = 11 - total % 11
    org_check = "X" if check == 10 else "0" if check == 11 else str(check)
    first17 = body + org_check
    return first17 + _uscc.calc_check_digit(first17)


#: The date the demonstration shows (``make run`` sets PORTAL_TODAY to it): the agency has
#: assessed the contribution months up to this one, not later ones.
DEMO_DATE = date(2022, 8, 15)
#: When the demonstration's employers entered the agencies' register.
REGISTER_SINCE = datetime(2020, 1, 1, tzinfo=UTC)


EMPLOYERS: list[
    tuple[str, str, int, str, str, str, str | None, str | None, str | None, bool, dict[str, Any]]
] = [
    # key, prefix, serial, name, kind, agency, industry, size, source, listed, extras
    (
        "A",
        "91",
        1,
        "聊城市示例商贸有限公司",
        "enterprise",
        "LC01",
        "retail",
        "small",
        "list",
        True,
        {},
    ),
    (
        "B",
        "91",
        2,
        "乌海市新创科技有限公司",
        "enterprise",
        "WH01",
        "software_it",
        "micro",
        "list",
        True,
        {"founded_month": "2022-08", "first_insured_month": "2022-08"},
    ),
    (
        "C",
        "91",
        3,
        "济南市七月已缴制造有限公司",
        "enterprise",
        "JN01",
        "industry",
        "medium",
        "list",
        True,
        {"is_july_paid": True},
    ),
    (
        "D",
        "91",
        4,
        "聊城市未列名餐饮有限公司",
        "enterprise",
        "LC01",
        "catering",
        None,
        None,
        False,
        {"employees": 25},
    ),
    ("E", "12", 5, "聊城市某事业单位", "public_institution", "LC01", None, None, None, False, {}),
    (
        "F",
        "91",
        6,
        "无锡市大型制造集团有限公司",
        "enterprise",
        "WX01",
        "industry",
        "large",
        "list",
        False,
        {"employees": 3200, "revenue_amount": Decimal("560000")},
    ),
    (
        "G",
        "92",
        7,
        "无锡市个体便利店",
        "individual_business",
        "WX01",
        "retail",
        "micro",
        "list",
        True,
        {},
    ),
    (
        "H",
        "91",
        8,
        "连云港市示例物流有限公司",
        "enterprise",
        "LYG1",
        "transport",
        "small",
        "list",
        True,
        {},
    ),
    (
        "I",
        "91",
        9,
        "济南市欠费建筑有限公司",
        "enterprise",
        "JN01",
        "construction",
        "small",
        "list",
        True,
        {"has_arrears": True},
    ),
    (  # under linyi-2020 in 2020 and shandong-2022 in 2022 (rules/data/regions.yaml)
        "J",
        "91",
        10,
        "临沂市示例印刷有限公司",
        "enterprise",
        "LY01",
        "industry",
        "small",
        "list",
        True,
        {},
    ),
]


def _get_or_create(
    model: type[_Row], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[_Row, bool]:
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is not None:
        return row, False
    row = model(**lookup, **values)
    db.session.add(row)
    db.session.flush()
    return row, True


def reference_files() -> dict[str, str]:
    """The demonstration's agencies, fund reserve and rates as the files an agency imports."""
    names = {code: name for code, name, *_figures in REGIONS}
    return {
        "agencies": _csv(
            ("医保经办机构代码", "经办机构名称", "统筹地区代码", "统筹地区名称"),
            [(code, name, region, names[region]) for code, name, region in AGENCIES],
        ),
        "fund-reserve": _csv(
            ("统筹地区代码", "年月", "可支付月数"),
            [(code, RESERVE_MONTH, reserve) for code, _name, reserve, _m, _n in REGIONS],
        ),
        "rates": _csv(
            ("统筹地区代码", "起始年月", "单位医疗费率", "生育费率"),
            [
                (code, RATES_FROM, medical, maternity)
                for code, _n, _r, medical, maternity in REGIONS
            ],
        ),
    }


def _csv(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    return "\n".join(",".join(cells) for cells in (header, *rows)) + "\n"


def _import_reference() -> int:
    """Import the reference files through the imports' own operation (as ``flask portal import``
    does); a file that would change nothing is not imported again. Return the rows created."""
    created = 0
    for kind, text in reference_files().items():
        source = Source.from_bytes(f"demo-{kind}.csv", text.encode("utf-8"))
        if run(kind, source, scope_agency_id=None, apply=False).changes_nothing:
            continue
        outcome, _record = import_file(kind, source, dry_run=False)
        if not outcome.applied:
            raise RuntimeError(f"the demonstration's {kind} file was refused: {outcome.problems}")
        created += outcome.created
    return created


def load_demo_data() -> int:
    """Create what is missing; return how many rows were created (0 on a second run)."""
    created = _import_reference()
    agencies = {a.code: a for a in db.session.scalars(select(Agency))}
    # Linyi's halls, loaded by the migrations before any agency existed, are LY01's.
    adopt_halls(agencies["LY01"])
    employers = {}
    for (
        key,
        prefix,
        serial,
        name,
        kind,
        agency,
        industry,
        size,
        source,
        listed,
        extras,
    ) in EMPLOYERS:
        values = {
            "name": name,
            "unit_kind": kind,
            "insurance_unit_number": f"{agency}-{serial:06d}",
            "agency_id": agencies[agency].id,
            "industry": industry,
            "size_class": size,
            "size_source": source,
            "list_status": "listed" if listed else "not_listed",
            "contribution_base_amount": Decimal("52000.00"),
            # In the register before either program (a report as of a date counts only the
            # employers there by then): the 2020 and 2022 demonstrations' past months show them.
            "created_at": REGISTER_SINCE,
            **extras,
        }
        employers[key], new = _get_or_create(
            Employer,
            {"credit_code": demo_credit_code(prefix, REGION_OF_AGENCY[agency], serial)},
            values,
        )
        created += new
    assessed = [
        row
        for row in (
            ("2022-07", 12, "52000.00"),
            ("2022-08", 12, "52000.00"),
            ("2022-09", 11, "48500.00"),
            ("2022-10", 11, "48500.00"),
        )
        if row[0] <= f"{DEMO_DATE:%Y-%m}"  # later months are estimates on the demo's date
    ]
    for month, headcount, base in assessed:
        base_amount = Decimal(base)
        _row, new = _get_or_create(
            Assessment,
            {"employer_id": employers["A"].id, "month": month},
            {
                "headcount": headcount,
                "contribution_base_amount": base_amount,
                "unit_amount": base_amount * Decimal("0.07"),
                "personal_amount": base_amount * Decimal("0.02"),
            },
        )
        created += new
    for ref, name in (("P001", "刘一"), ("P002", "陈二"), ("P003", "张三")):
        for month, _headcount, _base in assessed:
            _person, new = _get_or_create(
                PersonAssessment,
                {"employer_id": employers["A"].id, "person_ref": ref, "month": month},
                {
                    "person_name": name,
                    "unit_amount": Decimal("4333.33") * Decimal("0.07"),
                    "personal_amount": Decimal("4333.33") * Decimal("0.02"),
                },
            )
            created += new
    # The 2020 programs (DEMO_DATE=2020-03-20): January at the normal rate, and February
    # assessed and collected before the systems took the reduced rate (Linyi's took it from
    # 2020-03-01, 临医保发〔2020〕28号 操作细则 二（一）): over-collected, to refund or offset.
    # The unit amount of a 2020 month is the unit medical part (reading assessed_unit_amount).
    for key, rate in (("J", "0.06"), ("G", "0.08")):
        for month, headcount, base in (("2020-01", 9, "41000.00"), ("2020-02", 9, "41000.00")):
            _row, new = _get_or_create(
                Assessment,
                {"employer_id": employers[key].id, "month": month},
                {
                    "headcount": headcount,
                    "contribution_base_amount": Decimal(base),
                    "unit_amount": Decimal(base) * Decimal(rate),
                    "personal_amount": Decimal(base) * Decimal("0.02"),
                },
            )
            created += new
    # Payments as the tax bureau reports them: each names its contribution month and part.
    # Employer A pays July's personal part (withheld, not deferred) and part of July's
    # deferred unit part; its June personal part matches no assessment: the agency's queue.
    for ref, key, paid_on, amount, month, part in (
        ("DEMO-G-1", "G", date(2022, 8, 10), "1000.00", "2022-07", "unit"),
        ("DEMO-A-P06", "A", date(2022, 7, 11), "1040.00", "2022-06", "personal"),
        ("DEMO-A-P07", "A", date(2022, 8, 10), "1040.00", "2022-07", "personal"),
        ("DEMO-A-U07", "A", date(2022, 8, 12), "1000.00", "2022-07", "unit"),
    ):
        _payment, new = _get_or_create(
            Payment,
            {"source_ref": ref},
            {
                "employer_id": employers[key].id,
                "paid_on": paid_on,
                "amount": Decimal(amount),
                "month": month,
                "part": part,
                "settles": f"{part} {month}",
            },
        )
        created += new
    accounts = [
        ("owner-a", "王店主", None, None, ("A", "owner")),
        ("finance-a", "李会计", None, None, ("A", "finance")),
        ("owner-b", "张经理", None, None, ("B", "owner")),
        ("hall", "赵窗口", "hall", "LC01", None),
        ("reviewer", "钱审核", "reviewer", "LC01", None),
        ("reviewer-wh", "孙审核", "reviewer", "WH01", None),
        ("owner-ly", "吴厂长", None, None, ("J", "owner")),
        ("owner-wx", "郑店主", None, None, ("G", "owner")),
        ("reviewer-ly", "冯审核", "reviewer", "LY01", None),
        ("admin", "周管理", "admin", None, None),
    ]
    for username, display, staff_role, staff_agency, membership in accounts:
        user, new = _get_or_create(
            User,
            {"username": username},
            {
                "display_name": display,
                "staff_role": staff_role,
                "agency_id": agencies[staff_agency].id if staff_agency else None,
                "password_hash": hash_password(DEMO_PASSWORD),
            },
        )
        created += new
        if username in DEMO_ADDRESSES and user.email is None:
            # Confirmed, so that `flask portal reminders send` has someone to remind
            # (README: the messages go to the log in development).
            user.email = DEMO_ADDRESSES[username]
            user.email_confirmed_at = DEMO_CONFIRMED_AT
        if membership:
            key, role = membership
            _m, new = _get_or_create(
                Membership, {"user_id": user.id, "employer_id": employers[key].id}, {"role": role}
            )
            created += new
    if created:
        audit.record(None, "demo.load", details={"rows": created})
    return created
