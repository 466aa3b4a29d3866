"""Programs by date: which program a pooling region runs on a day (``data/regions.yaml``).

The program is derived from the region's administrative code (GB/T 2260), never typed: the code
as written, else its city's code, else its province's (reading ``by_code``): 371500 Liaocheng
runs liaocheng-2022, 370100 Jinan Shandong's shandong-2022. A region runs different programs over
time (Linyi: linyi-2020 in 2020, shandong-2022 from 2022-07). The program *in force* on a day is
the one whose dates cover it; on a day none covers, the region still shows the latest program
begun before it (reading ``between_programs``), so a 2020 deferral caught up in 2021 is still
shown in 2021. A code no entry covers runs no program: ``region_programs`` refuses it
(``UncoveredRegion``), ``covering`` answers None.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ._schema import Node, Param, as_date, one_of, read_yaml
from .errors import RulesError
from .policy import DATA_DIR, program_ids

REGIONS_FILE = DATA_DIR / "regions.yaml"
_CODE = re.compile(r"[0-9]{6}")  # a GB/T 2260 administrative code
_PROVINCE = re.compile(r"[0-9]{2}")


@dataclass(frozen=True)
class ProgramTerm:
    """One program in one region, with the days it applies there."""

    program_id: str
    start: Param[date]
    end: Param[date] | None  # None: until a later program

    def covers(self, on: date) -> bool:
        return self.start.value <= on and (self.end is None or on <= self.end.value)

    def has_begun(self, on: date) -> bool:
        return self.start.value <= on

    @property
    def refs(self) -> dict[str, str]:
        refs = {"from": self.start.ref}
        if self.end is not None:
            refs["to"] = self.end.ref
        return refs


@dataclass(frozen=True)
class RegionPrograms:
    """A region's programs in date order."""

    code: str
    terms: tuple[ProgramTerm, ...]

    def in_force(self, on: date) -> ProgramTerm | None:
        """The program whose dates cover ``on``, if any."""
        return next((t for t in self.terms if t.covers(on)), None)

    def shown(self, on: date) -> ProgramTerm:
        """The program the region shows on ``on``: in force, else the latest begun, else the
        first to come (reading ``between_programs``)."""
        found = self.in_force(on)
        if found is not None:
            return found
        begun = [t for t in self.terms if t.has_begun(on)]
        return begun[-1] if begun else self.terms[0]

    def earlier(self, on: date) -> tuple[ProgramTerm, ...]:
        """Programs begun before the one shown on ``on`` (an employer may still have amounts or
        a decision under them), latest first."""
        current = self.shown(on)
        return tuple(
            t
            for t in reversed(self.terms)
            if t is not current and t.start.value < current.start.value
        )

    @property
    def program_ids(self) -> tuple[str, ...]:
        return tuple(t.program_id for t in self.terms)


@dataclass(frozen=True)
class Province:
    """A province (the first two digits of a code) with its name and programs."""

    code: str
    name: str
    programs: RegionPrograms


@dataclass(frozen=True)
class RegionTimelines:
    provinces: dict[str, Province]
    regions: dict[str, RegionPrograms]  # a city's or county's own code (six digits)
    readings: dict[str, Param[Any]]

    def covering(self, code: str) -> RegionPrograms | None:
        """The programs of the region with ``code`` (reading ``by_code``), None if none."""
        code = code.strip()
        if not _CODE.fullmatch(code):
            return None
        found = self.regions.get(code) or self.regions.get(f"{code[:4]}00")
        if found is None:
            province = self.provinces.get(code[:2])
            found = province.programs if province is not None else None
        return found


class UncoveredRegion(RulesError):
    """No program of the portal covers a region's code (``regions.yaml``)."""

    default_code = "uncovered_region"


def _terms(node: Node, known: set[str]) -> tuple[ProgramTerm, ...]:
    node.only({"name", "programs"})
    node.text("name")
    terms = []
    for term in node.children("programs"):
        term.only({"program", "from", "to"})
        program_id = term.value("program", one_of(*sorted(known)))
        start = term.param("from", as_date)
        end = None if term.data.get("to") is None else term.param("to", as_date)
        if "to" not in term.data:
            raise term.error("is missing (write `null` to run until a later program)", "to")
        if end is not None and end.value < start.value:
            raise term.error("ends before it starts", "to")
        terms.append(ProgramTerm(program_id, start, end))
    if not terms:
        raise node.error("must list at least one program", "programs")
    for i, (prev, nxt) in enumerate(zip(terms, terms[1:], strict=False)):
        if prev.end is None or prev.end.value >= nxt.start.value:
            raise node.error(
                "programs must follow each other in date order without overlap",
                f"programs[{i + 1}].from",
            )
    return tuple(terms)


def parse_regions(path: Path, known_programs: Iterable[str] | None = None) -> RegionTimelines:
    """Load and validate ``regions.yaml``; raise PolicyError naming file and key."""
    known = set(program_ids() if known_programs is None else known_programs)
    root = Node(path.name, read_yaml(path))
    root.only({"provinces", "regions", "readings"})
    provinces: dict[str, Province] = {}
    provinces_node = root.child("provinces")
    for code in provinces_node.data:
        if not isinstance(code, str) or not _PROVINCE.fullmatch(code):
            raise provinces_node.error(
                'must be the two digits of a province, in quotes ("37")', code
            )
        node = provinces_node.child(code)
        terms = _terms(node, known)
        provinces[code] = Province(code, node.text("name"), RegionPrograms(code, terms))
    regions_node = root.child("regions")
    regions: dict[str, RegionPrograms] = {}
    for code in regions_node.data:
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            raise regions_node.error('must be a six-digit code, in quotes ("371500")', code)
        if code[:2] not in provinces:
            raise regions_node.error(f"its province {code[:2]} is not under `provinces`", code)
        node = regions_node.child(code)
        regions[code] = RegionPrograms(code, _terms(node, known))
    readings_node = root.child("readings")
    readings_node.only({"by_code", "between_programs"})
    readings = {
        "by_code": readings_node.param("by_code", one_of("region_city_province"), reading=True),
        "between_programs": readings_node.param(
            "between_programs", one_of("latest_begun"), reading=True
        ),
    }
    return RegionTimelines(provinces, regions, readings)


@functools.cache
def timelines() -> RegionTimelines:
    """The shipped timelines (cached)."""
    return parse_regions(REGIONS_FILE)


def covering(code: str) -> RegionPrograms | None:
    """The programs of the region with ``code``, or None where no program covers it."""
    return timelines().covering(code)


def region_programs(code: str) -> RegionPrograms:
    """The programs of the region with ``code``.

    :raise UncoveredRegion: no program covers the code.
    """
    found = covering(code)
    if found is None:
        raise UncoveredRegion(
            f"No program covers the pooling region {code!r} ({REGIONS_FILE.name}: "
            f"provinces {', '.join(timelines().provinces)})",
            field="region_code",
        )
    return found


def program_on(code: str, on: date) -> str:
    """The id of the program the region with ``code`` shows on ``on`` (see ``RegionPrograms``).

    :raise UncoveredRegion: no program covers the code.
    """
    return region_programs(code).shown(on).program_id


def province_of(code: str) -> Province | None:
    """The province a region's code belongs to (its first two digits), if listed."""
    return timelines().provinces.get(code.strip()[:2])


__all__ = [
    "Province",
    "ProgramTerm",
    "RegionPrograms",
    "UncoveredRegion",
    "covering",
    "parse_regions",
    "program_on",
    "province_of",
    "region_programs",
    "timelines",
]
