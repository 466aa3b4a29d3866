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
    region = rules.region_programs(code, "liaocheng-2022")
    assert region.shown(on).program_id == program
    assert [t.program_id for t in region.earlier(on)] == earlier
    assert rules.program_on(code, "liaocheng-2022", on) == program


def test_in_force_only_inside_the_dates():
    region = rules.region_programs(LINYI, "x")
    assert region.in_force(date(2021, 3, 1)) is None
    assert region.in_force(date(2020, 2, 1)).program_id == "linyi-2020"
    term = region.in_force(date(2020, 2, 1))
    assert "操作细则 一（一）" in term.refs["from"] and "12月31日" in term.refs["to"]


def test_a_region_without_a_timeline_runs_its_one_program_every_day():
    for on in (date(2000, 1, 1), date(2022, 8, 15), date(2099, 1, 1)):
        assert rules.program_on("R99", "liaocheng-2022", on) == "liaocheng-2022"
        assert rules.region_programs("R99", "liaocheng-2022").earlier(on) == ()


def test_every_date_is_cited_and_the_reading_explained():
    for region in timelines().regions.values():
        for term in region.terms:
            assert term.start.ref and (term.end is None or term.end.ref)
    assert timelines().readings["between_programs"].explanation


def test_overlapping_programs_are_refused(tmp_path: Path):
    path = tmp_path / "regions.yaml"
    path.write_text(
        """
regions:
  "1":
    name: x
    programs:
      - {program: linyi-2020, from: {value: 2020-02-01, ref: a}, to: {value: 2020-12-31, ref: b}}
      - {program: shandong-2022, from: {value: 2020-12-01, ref: c}, to: null}
readings:
  between_programs: {value: latest_begun, ref: d, explanation: e}
""",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="without overlap"):
        parse_regions(path)
