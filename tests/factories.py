"""Small factories for test data: real rows in the real database."""

from __future__ import annotations

import itertools
from decimal import Decimal
from functools import cache

from sqlalchemy import select
from stdnum.cn import uscc

from portal.core.extensions import db
from portal.models import (
    Agency,
    DeferralDecision,
    Employer,
    FundReserve,
    Membership,
    PoolingRegion,
    RegionRate,
    User,
)
from portal.rules.regions import region_programs

_serial = itertools.count(1)
#: A city whose code runs each program (GB/T 2260; rules/data/regions.yaml): a region made for
#: a program gets one of that city's county codes.
REGION_CODE_PREFIX = {
    "liaocheng-2022": "3715",  # 聊城市
    "shandong-2022": "3701",  # 济南市
    "linyi-2020": "3713",  # 临沂市: linyi-2020, then shandong-2022
    "wuxi-2020": "3202",  # 无锡市: wuxi-2020, then jiangsu-2022
    "jiangsu-2022": "3207",  # 连云港市
    "inner-mongolia-2022": "1503",  # 乌海市
}
#: The month the factories' fund reserve and rates are in force from.
SINCE = "2000-01"
PASSWORD = "correct horse battery"  # noqa: S105 - test password


@cache
def password_hash() -> str:
    from portal.features.auth.passwords import hash_password

    return hash_password(PASSWORD)


def credit_code(prefix: str = "91", serial: int | None = None) -> str:
    """A valid USCC with the given registration-kind prefix."""
    serial = next(_serial) if serial is None else serial
    org8 = f"{serial:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c) * w for c, w in zip(org8, weights, strict=True)) % 11
    org_check = "X" if check == 10 else "0" if check == 11 else str(check)
    first17 = f"{prefix}370100{org8}{org_check}"
    return first17 + uscc.calc_check_digit(first17)


def _free_code(prefix: str, n: int) -> str:
    """A county code of the city ``prefix`` no region has yet (a test that makes a region per
    Hypothesis example makes more than a hundred)."""
    used = set(
        db.session.scalars(select(PoolingRegion.code).where(PoolingRegion.code.like(f"{prefix}%")))
    )
    for i in range(100):
        code = f"{prefix}{(n + i) % 100:02d}"
        if code not in used:
            return code
    raise AssertionError(f"no free county code in {prefix}xx")  # noqa: EM102


class Factory:
    def region(
        self,
        program_id: str = "liaocheng-2022",
        reserve: str | None = "12",
        *,
        code: str | None = None,
        unit_medical_rate: Decimal | None = None,
        maternity_rate: Decimal | None = None,
        **kw,
    ) -> PoolingRegion:
        """A region whose code runs ``program_id`` (the program follows from the code:
        rules/data/regions.yaml), with its fund reserve and rates in force since 2000."""
        n = next(_serial)
        code = code or _free_code(REGION_CODE_PREFIX[program_id], n)
        assert program_id in region_programs(code).program_ids, (code, program_id)  # noqa: S101
        region = PoolingRegion(
            code=code,
            name=kw.pop("name", f"地区{n}"),
            province=kw.pop("province", "山东省"),
            **kw,
        )
        db.session.add(region)
        db.session.flush()
        if reserve is not None:
            db.session.add(FundReserve(region_id=region.id, month=SINCE, months=Decimal(reserve)))
        if unit_medical_rate is not None or maternity_rate is not None:
            db.session.add(
                RegionRate(
                    region_id=region.id,
                    start_month=SINCE,
                    unit_medical_rate=unit_medical_rate or Decimal(0),
                    maternity_rate=maternity_rate or Decimal(0),
                )
            )
        db.session.flush()
        return region

    def agency(self, region: PoolingRegion | None = None, **kw) -> Agency:
        n = next(_serial)
        agency = Agency(
            code=kw.pop("code", f"A{n}"),
            name=kw.pop("name", f"医保中心{n}"),
            region_id=(region or self.region()).id,
            **kw,
        )
        db.session.add(agency)
        db.session.flush()
        return agency

    def employer(self, agency: Agency | None = None, **kw) -> Employer:
        n = next(_serial)
        values = {
            "credit_code": credit_code(),
            "name": f"示例企业{n}有限公司",
            "unit_kind": "enterprise",
            "insurance_unit_number": f"U{n:06d}",
            "industry": "retail",
            "size_class": "small",
            "size_source": "list",
            "list_status": "listed",
        }
        values.update(kw)
        employer = Employer(agency_id=(agency or self.agency()).id, **values)
        db.session.add(employer)
        db.session.flush()
        return employer

    def user(
        self,
        *,
        staff_role: str | None = None,
        agency: Agency | None = None,
        employer: Employer | None = None,
        role: str = "owner",
        **kw,
    ) -> User:
        n = next(_serial)
        user = User(
            username=kw.pop("username", f"user{n}"),
            display_name=kw.pop("display_name", f"用户{n}"),
            password_hash=password_hash(),
            staff_role=staff_role,
            agency_id=agency.id if agency else None,
            **kw,
        )
        db.session.add(user)
        db.session.flush()
        if employer is not None:
            db.session.add(Membership(user_id=user.id, employer_id=employer.id, role=role))
            db.session.flush()
        return user

    def decision(
        self,
        employer: Employer,
        user: User,
        choice: str = "defer",
        start: str = "2022-07",
        end: str = "2022-09",
    ) -> DeferralDecision:
        n = next(_serial)
        decision = DeferralDecision(
            reference=f"JD-TEST-{n}",
            employer_id=employer.id,
            choice=choice,
            period_start=start if choice == "defer" else None,
            period_end=end if choice == "defer" else None,
            decided_by_id=user.id,
            submission_token=f"token-{n}",
        )
        db.session.add(decision)
        db.session.flush()
        return decision

    def commit(self) -> None:
        db.session.commit()
