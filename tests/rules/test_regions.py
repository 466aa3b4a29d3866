"""Programs by date in a pooling region (portal/rules/regions.py, rules/data/regions.yaml)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from portal import rules
from portal.rules.errors import PolicyError
from portal.rules.regions import parse_regions, timelines

LINYI, WUXI = "371300", "320200"


@pytest.mark.parametrize(
    ("code", "on", "program", "earlier"),
    [
        (LINYI, date(2020, 3, 20), "linyi-2020", []),
        (LINYI, date(2020, 12, 31), "linyi-2020", []),
        # no program covers 2021: the 2020 one is still shown (its catch-ups run on)
        (LINYI, date(2021, 3, 1), "linyi-2020", []),
        (LINYI, date(2022, 7, 1), "shandong-2022", ["linyi-2020"]),
        (LINYI, date(2022, 8, 15), "shandong-2022", ["linyi-2020"]),
        (LINYI, date(2019, 6, 1), "linyi-2020", []),  # before the first: the first
        (WUXI, date(2020, 3, 20), "wuxi-2020", []),
        (WUXI, date(2022, 8, 15), "jiangsu-2022", ["wuxi-2020"]),
    ],
)
def test_the_program_shown_on_a_day(code, on, program, earlier):
    region = rules.region_programs(code)
    assert region.shown(on).program_id == program
    assert [t.program_id for t in region.earlier(on)] == earlier
    assert rules.program_on(code, on) == program


def test_in_force_only_inside_the_dates():
    region = rules.region_programs(LINYI)
    assert region.in_force(date(2021, 3, 1)) is None
    assert region.in_force(date(2020, 2, 1)).program_id == "linyi-2020"
    term = region.in_force(date(2020, 2, 1))
    assert "操作细则 一（一）" in term.refs["from"] and "12月31日" in term.refs["to"]


@pytest.mark.parametrize(
    ("code", "program"),
    [
        ("370100", "shandong-2022"),  # 济南市: the province's program
        ("379900", "shandong-2022"),  # 山东省本级
        ("371500", "liaocheng-2022"),  # the city's own notice
        ("371502", "liaocheng-2022"),  # 东昌府区: the city's notice covers its counties
        ("371302", "shandong-2022"),  # a county of Linyi follows Linyi's dates
        ("320700", "jiangsu-2022"),
        ("320205", "jiangsu-2022"),
        ("150300", "inner-mongolia-2022"),
        ("150203", "inner-mongolia-2022"),
    ],
)
def test_the_program_follows_from_the_code(code, program):
    assert rules.program_on(code, date(2022, 8, 15)) == program
    assert rules.covering(code) is rules.region_programs(code)


@pytest.mark.parametrize("code", ["440100", "110000", "R99", "3715", "37", "3715001", ""])
def test_a_code_no_program_covers_is_told_so(code):
    assert rules.covering(code) is None
    with pytest.raises(rules.UncoveredRegion) as raised:
        rules.region_programs(code)
    assert raised.value.code == "uncovered_region"
    with pytest.raises(rules.UncoveredRegion):
        rules.program_on(code, date(2022, 8, 15))


def test_the_provinces_are_named_and_cited():
    names = {p.code: p.name for p in timelines().provinces.values()}
    assert names == {"37": "山东省", "32": "江苏省", "15": "内蒙古自治区"}
    assert rules.province_of("371500").name == "山东省" and rules.province_of("440100") is None
    refs = {c: p.programs.terms[0].start.ref for c, p in timelines().provinces.items()}
    assert refs["37"].startswith("鲁医保发〔2022〕21号 一")
    assert refs["32"].startswith("江苏省实施方案（2022） 一")
    assert refs["15"].startswith("内医保办发〔2022〕19号 一")
    liaocheng = timelines().regions["371500"].terms[0]
    assert liaocheng.start.ref.startswith("聊医保发〔2022〕39号 一")
    assert timelines().readings["by_code"].explanation


def test_every_date_is_cited_and_the_reading_explained():
    everything = [*timelines().regions.values()]
    everything += [p.programs for p in timelines().provinces.values()]
    for region in everything:
        for term in region.terms:
            assert term.start.ref and (term.end is None or term.end.ref)
    assert timelines().readings["between_programs"].explanation


def test_overlapping_programs_are_refused(tmp_path: Path):
    path = tmp_path / "regions.yaml"
    path.write_text(
        """
provinces:
  "37":
    name: x
    programs:
      - {program: shandong-2022, from: {value: 2022-07-01, ref: a}, to: null}
regions:
  "371300":
    name: x
    programs:
      - {program: linyi-2020, from: {value: 2020-02-01, ref: a}, to: {value: 2020-12-31, ref: b}}
      - {program: shandong-2022, from: {value: 2020-12-01, ref: c}, to: null}
readings:
  by_code: {value: region_city_province, ref: f, explanation: g}
  between_programs: {value: latest_begun, ref: d, explanation: e}
""",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="without overlap"):
        parse_regions(path)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('"37":\n    name', '"3":\n    name'), "two digits of a province"),
        (('"371300":', '"3713":'), "six-digit code"),
        (('"371300":', '"441300":'), "province 44 is not under `provinces`"),
        (("  by_code: {value: region_city_province, ref: f, explanation: g}\n", ""), "by_code"),
    ],
)
def test_codes_provinces_and_the_reading_are_checked(tmp_path: Path, change, problem):
    good = """provinces:
  "37":
    name: x
    programs:
      - {program: shandong-2022, from: {value: 2022-07-01, ref: a}, to: null}
regions:
  "371300":
    name: x
    programs:
      - {program: linyi-2020, from: {value: 2020-02-01, ref: a}, to: {value: 2020-12-31, ref: b}}
readings:
  by_code: {value: region_city_province, ref: f, explanation: g}
  between_programs: {value: latest_begun, ref: d, explanation: e}
"""
    path = tmp_path / "regions.yaml"
    path.write_text(good, encoding="utf-8")
    assert parse_regions(path).regions["371300"].program_ids == ("linyi-2020",)
    path.write_text(good.replace(*change), encoding="utf-8")
    with pytest.raises(PolicyError, match=problem):
        parse_regions(path)
