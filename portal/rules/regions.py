"""Programs by date: which program a pooling region runs on a day (``data/regions.yaml``).

A region runs different programs over time (Linyi: linyi-2020 in 2020, shandong-2022 from
2022-07). The program *in force* on a day is the one whose dates cover it; on a day none covers,
the region still shows the latest program begun before it (reading ``between_programs``), so a
2020 deferral caught up in 2021 is still shown in 2021. A region without a timeline runs the one
program recorded for it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ._schema import Node, Param, as_date, one_of, read_yaml
from .policy import DATA_DIR, program_ids

REGIONS_FILE = DATA_DIR / "regions.yaml"


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
class RegionTimelines:
    regions: dict[str, RegionPrograms]
    readings: dict[str, Param[Any]]


def parse_regions(path: Path, known_programs: Iterable[str] | None = None) -> RegionTimelines:
    """Load and validate ``regions.yaml``; raise PolicyError naming file and key."""
    known = set(program_ids() if known_programs is None else known_programs)
    root = Node(path.name, read_yaml(path))
    root.only({"regions", "readings"})
    regions_node = root.child("regions")
    regions: dict[str, RegionPrograms] = {}
    for code in regions_node.data:
        region = regions_node.child(code)
        region.only({"name", "programs"})
        region.text("name")
        terms = []
        for term in region.children("programs"):
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
            raise region.error("must list at least one program", "programs")
        for i, (prev, nxt) in enumerate(zip(terms, terms[1:], strict=False)):
            if prev.end is None or prev.end.value >= nxt.start.value:
                raise region.error(
                    "programs must follow each other in date order without overlap",
                    f"programs[{i + 1}].from",
                )
        regions[str(code)] = RegionPrograms(str(code), tuple(terms))
    readings_node = root.child("readings")
    readings = {
        "between_programs": readings_node.param(
            "between_programs", one_of("latest_begun"), reading=True
        )
    }
    return RegionTimelines(regions, readings)


@functools.cache
def timelines() -> RegionTimelines:
    """The shipped timelines (cached)."""
    return parse_regions(REGIONS_FILE)


def region_programs(code: str, program_id: str) -> RegionPrograms:
    """The programs of the region with ``code``; a region without a timeline runs
    ``program_id`` (its recorded program) on every day."""
    found = timelines().regions.get(code)
    if found is not None:
        return found
    return _single(program_id)


@functools.cache
def _single(program_id: str) -> RegionPrograms:
    return RegionPrograms(
        "", (ProgramTerm(program_id, Param(date.min, "pooling_regions.program_id"), None),)
    )


def program_on(code: str, program_id: str, on: date) -> str:
    """The id of the program the region with ``code`` shows on ``on`` (see ``RegionPrograms``)."""
    return region_programs(code, program_id).shown(on).program_id


__all__ = [
    "ProgramTerm",
    "RegionPrograms",
    "parse_regions",
    "program_on",
    "region_programs",
    "timelines",
]
