"""鲁医保发〔2020〕23号 三: how a unit is classified for the 2020 deferral (issue 28 item 9)."""

from __future__ import annotations

import pytest

from portal import rules


@pytest.mark.parametrize(
    ("shared", "industry", "headcounts", "expected"),
    [
        # 直接采用相关部门的划型结果
        ("medium", "other", {"2020-01": 5}, ("medium", "shared", None)),
        # 根据参保单位2020年2月之前最后一个缴费月的申报缴费人数确定 (2020-02 and later ignored)
        (None, "other", {"2019-11": 400, "2020-01": 50, "2020-03": 5}, ("small", "headcount", 50)),
        (None, "other", {"2019-12": 350}, ("large", "headcount", 350)),
        # 无法查实企业类型的，可实行告知承诺制，暂按单位申请进行划型，多退少补
        (None, "other", {"2020-02": 5}, (None, "provisional", None)),
        (None, None, {"2020-01": 5}, (None, "provisional", None)),
        ("undetermined", "retail", {"2020-01": 5}, (None, "provisional", None)),
    ],
)
def test_linyi_classifies_by_shared_data_then_headcount_then_provisionally(
    shared, industry, headcounts, expected
):
    found = rules.deferral_size(
        "linyi-2020", shared_size=shared, industry=industry, headcounts=headcounts
    )
    assert (found.size, found.basis, found.headcount) == expected
    assert found.ref.startswith("鲁医保发〔2020〕23号 三")
    assert found.is_provisional is (expected[1] == "provisional")


def test_wuxi_has_no_such_rule():
    assert (
        rules.deferral_size("wuxi-2020", shared_size=None, industry="other", headcounts={}) is None
    )
