"""Validate every policy file (shipped, or a copy in another directory)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from .classification import parse_classification, parse_codes
from .employer_facts import parse_employer_facts
from .errors import PolicyError
from .exchange import parse_exchange
from .payments import parse_payments
from .policy import RULES_DIR, parse_national, parse_program
from .reconciliation import parse_reconciliation
from .regions import parse_regions
from .uscc import parse_unit_kinds
from .workdays import parse_working_days

_P = ParamSpec("_P")
_T = TypeVar("_T")

DATA_FILES = (
    "classification.yaml",
    "employer_facts.yaml",
    "exchange.yaml",
    "gbt4754.yaml",
    "national.yaml",
    "reconciliation.yaml",
    "payments.yaml",
    "regions.yaml",
    "unit_kinds.yaml",
    "working_days.yaml",
)


@dataclass
class CheckReport:
    checked: list[str] = field(default_factory=list)
    errors: list[PolicyError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_policy_files(root: Path | str | None = None) -> CheckReport:
    """Parse and validate every file under ``root`` (default: the shipped rules directory).

    ``root`` holds ``programs/*.yaml`` and ``data/*.yaml``, or all of them side by side.
    """
    base = Path(root) if root is not None else RULES_DIR
    if not base.is_dir():
        report = CheckReport()
        report.errors.append(PolicyError(str(base), "", "is not a directory"))
        return report
    programs_dir = base / "programs" if (base / "programs").is_dir() else base
    data_dir = base / "data" if (base / "data").is_dir() else base
    report = CheckReport()
    program_files = sorted(programs_dir.glob("*.yaml"))
    program_files = [p for p in program_files if p.name not in DATA_FILES]
    if not program_files:
        report.errors.append(PolicyError(str(programs_dir), "", "no program files (*.yaml)"))
    known_programs = []
    for path in program_files:
        if _run(report, path, parse_program) is not None:
            known_programs.append(path.stem)
    classification = None
    for name in DATA_FILES:
        path = data_dir / name
        if not path.exists():
            report.errors.append(PolicyError(name, "", f"is missing from {data_dir}"))
            continue
        if name == "classification.yaml":
            classification = _run(report, path, parse_classification)
        elif name == "gbt4754.yaml":
            if classification is None:
                report.errors.append(
                    PolicyError(name, "", "not checked: classification.yaml must be valid first")
                )
                continue
            _run(report, path, parse_codes, classification.industries)
        elif name == "employer_facts.yaml":
            _run(report, path, parse_employer_facts)
        elif name == "exchange.yaml":
            _run(report, path, parse_exchange)
        elif name == "national.yaml":
            _run(report, path, parse_national)
        elif name == "reconciliation.yaml":
            _run(report, path, parse_reconciliation)
        elif name == "payments.yaml":
            _run(report, path, parse_payments)
        elif name == "regions.yaml":
            _run(report, path, parse_regions, known_programs)
        elif name == "unit_kinds.yaml":
            _run(report, path, parse_unit_kinds)
        else:
            _run(report, path, parse_working_days)
    return report


def _run(
    report: CheckReport,
    path: Path,
    parse: Callable[Concatenate[Path, _P], _T],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> _T | None:
    try:
        result = parse(path, *args, **kwargs)
    except PolicyError as exc:
        report.errors.append(exc)
        return None
    report.checked.append(str(path))
    return result
