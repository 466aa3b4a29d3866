"""Fitness tests for the shape of portal/: features do not reach into each other's views, the
rules stay pure Python, and permissions stay below the features (CONTRIBUTING.md).

Imports are read with ``ast``, so an import inside a function counts as much as one at the top.
Each check runs on the real tree and on a small tree with the violations main had before
issue 11, to show that it fails where it should.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Subpackages of portal/ that are not features: the data model, the pure domain rules, and the
#: words for codes that every feature shares.
NOT_FEATURES = frozenset({"labels", "models", "rules"})
#: What portal/rules/ must not import: it is plain Python, usable without Flask or a database.
RULES_FORBIDDEN_TOP = frozenset({"flask", "sqlalchemy", "werkzeug"})


def imported_modules(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """Yield (line, dotted module) for every import in the file, relative ones resolved.

    ``from a.b import c`` yields ``a.b.c`` when that is a module or package under ``root``,
    else ``a.b`` (``c`` is a name inside it).
    """
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, package)
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                yield node.lineno, candidate if _is_module(candidate, root) else base


def _resolve(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str, root: Path) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def features(root: Path) -> set[str]:
    return {
        init.parent.name
        for init in (root / "portal").glob("*/__init__.py")
        if init.parent.name not in NOT_FEATURES
    }


def _report(found: set[tuple[Path, int, str]], root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{line} imports {module}" for path, line, module in sorted(found)
    ]


def views_importing_other_views(root: Path) -> list[str]:
    """Every ``portal/<feature>/views.py`` import of another feature's ``views`` module."""
    found = set()
    for path in (root / "portal").glob("*/views.py"):
        own = path.parent.name
        for line, module in imported_modules(path, root):
            parts = module.split(".")
            if parts[0] == "portal" and parts[2:3] == ["views"] and parts[1] != own:
                found.add((path, line, module))
    return _report(found, root)


def rules_importing_frameworks_or_portal(root: Path) -> list[str]:
    """Every import under portal/rules/ of flask, flask_*, sqlalchemy, werkzeug or portal.*."""
    found = set()
    for path in (root / "portal" / "rules").rglob("*.py"):
        for line, module in imported_modules(path, root):
            top = module.split(".")[0]
            framework = top in RULES_FORBIDDEN_TOP or top.startswith("flask_")
            outside = top == "portal" and module.split(".")[1:2] != ["rules"]
            if framework or outside:
                found.add((path, line, module))
    return _report(found, root)


def permissions_importing_features(root: Path) -> list[str]:
    """Every import in portal/permissions.py of a feature package (or anything inside one)."""
    path = root / "portal" / "permissions.py"
    names = features(root)
    found = set()
    for line, module in imported_modules(path, root):
        parts = module.split(".")
        if parts[0] == "portal" and len(parts) > 1 and parts[1] in names:
            found.add((path, line, module))
    return _report(found, root)


CHECKS = [
    views_importing_other_views,
    rules_importing_frameworks_or_portal,
    permissions_importing_features,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_the_portal_keeps_its_shape(check):
    assert check(REPO_ROOT) == []


# --- the checks fail where they should ---------------------------------------------------

#: The violations on main before issue 11, in a small tree of their own.
VIOLATIONS = {
    "portal/__init__.py": "",
    "portal/permissions.py": (
        "from flask import g\n"
        "def permission(name):\n"
        "    from portal.employer.queries import employer_role_or_404\n"
        "    return employer_role_or_404\n"
    ),
    "portal/employer/__init__.py": "",
    "portal/employer/queries.py": "from portal.permissions import ACTING_ROLE\n",
    "portal/applications/__init__.py": "",
    "portal/applications/views.py": "from portal.applications import display\n",
    "portal/applications/display.py": "",
    "portal/review/__init__.py": "",
    "portal/review/views.py": (
        "from portal.applications.views import send_evidence, send_letter, verify_url_for\n"
    ),
    "portal/hall/__init__.py": "",
    "portal/hall/views.py": (
        "def paper():\n    from ..applications import views\n    return views.verify_url_for\n"
    ),
    "portal/rules/__init__.py": "from .policy import load_program\n",
    "portal/rules/policy.py": "import yaml\nfrom . import months\n",
    "portal/rules/months.py": "",
    "portal/rules/quote.py": (
        "def fee():\n"
        "    from flask_babel import gettext\n"
        "    from sqlalchemy.orm import Session\n"
        "    from .. import clock\n"
        "    from portal.models import Employer\n"
        "    return gettext, Session, clock, Employer\n"
    ),
    "portal/clock.py": "import flask\n",
    "portal/models/__init__.py": "",
}


@pytest.fixture
def bad_tree(tmp_path: Path) -> Path:
    for name, text in VIOLATIONS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_views_importing_other_views_are_found(bad_tree):
    assert views_importing_other_views(bad_tree) == [
        "portal/hall/views.py:2 imports portal.applications.views",
        "portal/review/views.py:1 imports portal.applications.views",
    ]


def test_rules_importing_frameworks_or_portal_are_found(bad_tree):
    assert rules_importing_frameworks_or_portal(bad_tree) == [
        "portal/rules/quote.py:2 imports flask_babel",
        "portal/rules/quote.py:3 imports sqlalchemy.orm",
        "portal/rules/quote.py:4 imports portal.clock",
        "portal/rules/quote.py:5 imports portal.models",
    ]


def test_permissions_importing_a_feature_is_found(bad_tree):
    assert permissions_importing_features(bad_tree) == [
        "portal/permissions.py:3 imports portal.employer.queries",
    ]
