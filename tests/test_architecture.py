"""Fitness tests for the shape of portal/ (CONTRIBUTING.md opens with the tree they keep).

- ``ls portal`` shows the architecture: at most 15 entries at its top.
- The layers import downwards only: rules, util < config < models < core < facts < labels,
  letters < web < features < cli < the application factory. So shared code never imports a
  feature, and the rules stay plain Python.
- No import cycle between packages (each feature is a package of its own).
- A feature's views never import another feature's views.

Imports are read with ``ast``, so an import inside a function counts as much as one at the top.
Each check also runs on a small tree holding the violations it must find, to show that it fails
where it should; each failure says what to do instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

#: The layers, lowest first. A package imports its own modules and those of lower layers; two
#: packages of one layer do not import each other. ``features`` holds one package per
#: blueprint; ``portal`` is the application factory (portal/__init__.py), which wires them.
LAYERS: list[tuple[str, ...]] = [
    ("rules", "util"),
    ("config",),
    ("models",),
    ("core",),
    ("facts",),
    ("labels", "letters"),
    ("web",),
    ("features",),
    ("cli",),
    ("portal",),
]
LAYER_OF = {name: rank for rank, names in enumerate(LAYERS) for name in names}
#: Shared code: what more than one feature leans on. It never imports a feature or the CLI.
SHARED = frozenset(
    {"util", "config", "rules", "models", "core", "facts", "labels", "letters", "web"}
)
#: What portal/rules/ must not import: it is plain Python, usable without Flask or a database.
RULES_FORBIDDEN_TOP = frozenset({"flask", "sqlalchemy", "werkzeug"})
MAX_TOP_ENTRIES = 15

HOW_TO_FIX_LAYER = (
    "a lower layer must not import a higher one. Move what both need down to the lower layer "
    "(a pure function to portal/util/ or portal/rules/, a database helper to portal/core/, a "
    "facts loader to portal/facts/, what views share to portal/web/), or pass it in as an "
    "argument."
)
HOW_TO_FIX_FEATURE = (
    "shared code must not import a feature. Move what the shared code needs out of the feature "
    "into the shared layer (portal/core/, portal/facts/, portal/web/), and let the feature "
    "import it from there."
)
HOW_TO_FIX_CYCLE = (
    "packages import each other. Move what both use to the package below them (for two "
    "features: portal/facts/ for rows read, portal/core/ for services, portal/rules/ for a "
    "decision), so that imports go one way."
)
HOW_TO_FIX_VIEWS = (
    "a feature's views must not import another feature's views. Put what both need in "
    "portal/web/ (downloads, forms) or call the other feature's operations or queries."
)
HOW_TO_FIX_RULES = (
    "portal/rules/ is plain Python over Decimal and date: no Flask, SQLAlchemy or Werkzeug, "
    "and nothing of the portal outside rules/. Pass the facts in as dataclasses "
    "(portal/facts/ loads them)."
)


# --- reading imports ---------------------------------------------------------------------


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


def package_of(module: str) -> str:
    """``portal.features.hall.views`` -> ``features.hall``; ``portal.core.audit`` -> ``core``;
    ``portal`` (the factory) and its top-level modules (``portal.config``) by their name."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] == "features":
        return f"features.{parts[2]}"
    return parts[1] if len(parts) > 1 else "portal"


def layer_of(package: str) -> str:
    return package.split(".")[0]


def portal_imports(root: Path) -> Iterator[tuple[Path, int, str, str]]:
    """(file, line, its module, the portal module it imports) for every import of the portal."""
    for path in sorted((root / "portal").rglob("*.py")):
        own = _module_name(path, root)
        for line, module in imported_modules(path, root):
            if module == "portal" or module.startswith("portal."):
                yield path, line, own, module


def _where(path: Path, line: int, module: str, root: Path) -> str:
    return f"{path.relative_to(root)}:{line} imports {module}"


# --- the checks --------------------------------------------------------------------------


def top_entries(root: Path) -> list[str]:
    """The entries at the top of portal/ (caches left out)."""
    return sorted(p.name for p in (root / "portal").iterdir() if p.name != "__pycache__")


def shared_code_importing_features(root: Path) -> list[str]:
    """Every import of a feature (or of the CLI) from shared code."""
    found = []
    for path, line, own, module in portal_imports(root):
        mine, theirs = layer_of(package_of(own)), layer_of(package_of(module))
        if mine in SHARED and theirs in {"features", "cli"}:
            found.append(f"{_where(path, line, module, root)}: {HOW_TO_FIX_FEATURE}")
    return found


def imports_against_the_layers(root: Path) -> list[str]:
    """Every import of a higher layer, or of another package of the same layer."""
    found = []
    for path, line, own, module in portal_imports(root):
        mine, theirs = package_of(own), package_of(module)
        if layer_of(mine) == layer_of(theirs):
            continue  # the same package, or two features (the cycle check covers those)
        rank_mine, rank_theirs = LAYER_OF.get(layer_of(mine)), LAYER_OF.get(layer_of(theirs))
        if rank_mine is None or rank_theirs is None:
            found.append(
                f"{_where(path, line, module, root)}: {layer_of(mine)} or {layer_of(theirs)} "
                "is not a layer; add it to LAYERS in tests/test_architecture.py and to the "
                "tree in CONTRIBUTING.md"
            )
        elif rank_theirs >= rank_mine:
            found.append(f"{_where(path, line, module, root)}: {HOW_TO_FIX_LAYER}")
    return found


def package_cycles(root: Path) -> list[str]:
    """Each set of packages that import each other, directly or through others, with one
    import of each edge inside it."""
    edges: dict[str, dict[str, str]] = {}
    for path, line, own, module in portal_imports(root):
        mine, theirs = package_of(own), package_of(module)
        if mine != theirs:
            edges.setdefault(mine, {}).setdefault(theirs, _where(path, line, module, root))
    found = []
    for component in _strongly_connected(edges):
        members = sorted(component)
        witnesses = sorted(edges[a][b] for a in members for b in members if b in edges.get(a, {}))
        found.append(f"{' <-> '.join(members)} ({'; '.join(witnesses)}): {HOW_TO_FIX_CYCLE}")
    return sorted(found)


def _strongly_connected(edges: dict[str, dict[str, str]]) -> list[set[str]]:
    """Tarjan's algorithm; components of more than one package."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in edges.get(node, {}):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def views_importing_other_views(root: Path) -> list[str]:
    """Every ``portal/features/<name>/views.py`` import of another feature's ``views``."""
    found = []
    for path in sorted((root / "portal" / "features").glob("*/views.py")):
        own = path.parent.name
        for line, module in imported_modules(path, root):
            parts = module.split(".")
            if parts[:2] == ["portal", "features"] and parts[3:4] == ["views"] and parts[2] != own:
                found.append(f"{_where(path, line, module, root)}: {HOW_TO_FIX_VIEWS}")
    return sorted(found)


def rules_importing_frameworks_or_portal(root: Path) -> list[str]:
    """Every import under portal/rules/ of flask, flask_*, sqlalchemy, werkzeug or portal.*."""
    found = []
    for path in sorted((root / "portal" / "rules").rglob("*.py")):
        for line, module in imported_modules(path, root):
            top = module.split(".")[0]
            framework = top in RULES_FORBIDDEN_TOP or top.startswith("flask_")
            outside = top == "portal" and module.split(".")[1:2] != ["rules"]
            if framework or outside:
                found.append(f"{_where(path, line, module, root)}: {HOW_TO_FIX_RULES}")
    return sorted(found)


def packages_outside_the_layers(root: Path) -> list[str]:
    """Every package (or top-level module) of portal/ that no layer names."""
    outside = {
        layer_of(package_of(_module_name(path, root))) for path in (root / "portal").rglob("*.py")
    } - set(LAYER_OF)
    return [
        f"portal/{name}: is in no layer; put it in a layer's package, or add it to LAYERS in "
        "tests/test_architecture.py and to the tree in CONTRIBUTING.md"
        for name in sorted(outside)
    ]


CHECKS = [
    packages_outside_the_layers,
    shared_code_importing_features,
    imports_against_the_layers,
    package_cycles,
    views_importing_other_views,
    rules_importing_frameworks_or_portal,
]


def test_ls_portal_shows_the_architecture():
    entries = top_entries(REPO_ROOT)
    assert len(entries) <= MAX_TOP_ENTRIES, (
        f"portal/ has {len(entries)} entries at its top ({', '.join(entries)}): put a new "
        "module in the layer it belongs to (util, core, facts, web, cli) or a feature in "
        "portal/features/, not at the top"
    )


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_the_portal_keeps_its_shape(check):
    found = check(REPO_ROOT)
    assert found == [], "\n".join(found)


# --- the checks fail where they should ---------------------------------------------------

#: The violations main had before issues 11 and 27, in a small tree of their own.
VIOLATIONS = {
    "portal/__init__.py": "",
    "portal/web/__init__.py": "",
    "portal/web/permissions.py": (
        "from flask import g\n"
        "def permission(name):\n"
        "    from portal.features.employer.queries import employer_role_or_404\n"
        "    return employer_role_or_404\n"
    ),
    "portal/web/templating.py": "from portal import labels\n",
    "portal/labels/__init__.py": "",
    "portal/labels/errors.py": (
        "def day(value):\n    from portal.web.templating import day\n    return day(value)\n"
    ),
    "portal/core/__init__.py": "",
    "portal/core/uploads.py": "from portal.features.applications import contents\n",
    "portal/features/__init__.py": "",
    "portal/features/employer/__init__.py": "",
    "portal/features/employer/queries.py": "from portal.web.permissions import ACTING_ROLE\n",
    "portal/features/applications/__init__.py": "",
    "portal/features/applications/contents.py": "",
    "portal/features/applications/views.py": (
        "from portal.features.reductions.queries import rate_table_for\n"
    ),
    "portal/features/reductions/__init__.py": "",
    "portal/features/reductions/queries.py": "",
    "portal/features/reductions/views.py": (
        "from portal.features.applications.views import receive_uploads\n"
    ),
    "portal/features/review/__init__.py": "",
    "portal/features/review/views.py": "from portal.features.reductions import views\n",
    "portal/rules/__init__.py": "from .policy import load_program\n",
    "portal/rules/policy.py": "import yaml\nfrom . import months\n",
    "portal/rules/months.py": "",
    "portal/rules/quote.py": (
        "def fee():\n"
        "    from flask_babel import gettext\n"
        "    from sqlalchemy.orm import Session\n"
        "    from ..util import clock\n"
        "    from portal.models import Employer\n"
        "    return gettext, Session, clock, Employer\n"
    ),
    "portal/util/__init__.py": "",
    "portal/util/clock.py": "import flask\nfrom portal.config import BaseConfig\n",
    "portal/config.py": "",
    "portal/models/__init__.py": "",
    "portal/stray.py": "",
}


@pytest.fixture
def bad_tree(tmp_path: Path) -> Path:
    for name, text in VIOLATIONS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    for n in range(15):
        (tmp_path / "portal" / f"loose_{n}.py").write_text("", encoding="utf-8")
    return tmp_path


def _places(found: list[str]) -> list[str]:
    return [line.split(": ")[0] for line in found]


def test_too_many_entries_at_the_top_are_counted(bad_tree):
    assert len(top_entries(bad_tree)) > MAX_TOP_ENTRIES


def test_shared_code_importing_a_feature_is_found(bad_tree):
    found = shared_code_importing_features(bad_tree)
    assert _places(found) == [
        "portal/core/uploads.py:1 imports portal.features.applications.contents",
        "portal/web/permissions.py:3 imports portal.features.employer.queries",
    ]
    assert all(HOW_TO_FIX_FEATURE in line for line in found)


def test_imports_against_the_layers_are_found(bad_tree):
    assert _places(imports_against_the_layers(bad_tree)) == [
        "portal/core/uploads.py:1 imports portal.features.applications.contents",
        "portal/labels/errors.py:2 imports portal.web.templating",
        "portal/rules/quote.py:4 imports portal.util.clock",
        "portal/rules/quote.py:5 imports portal.models",
        "portal/util/clock.py:2 imports portal.config",
        "portal/web/permissions.py:3 imports portal.features.employer.queries",
    ]


def test_packages_outside_the_layers_are_found(bad_tree):
    assert _places(packages_outside_the_layers(bad_tree)) == [
        f"portal/{name}" for name in sorted(["stray", *(f"loose_{n}" for n in range(15))])
    ]


def test_package_cycles_are_found(bad_tree):
    found = package_cycles(bad_tree)
    assert [line.split(" (")[0] for line in found] == [
        "features.applications <-> features.reductions",
        "features.employer <-> labels <-> web",
    ]
    assert "portal/labels/errors.py:2 imports portal.web.templating" in found[1]
    assert all(HOW_TO_FIX_CYCLE in line for line in found)


def test_views_importing_other_views_are_found(bad_tree):
    assert _places(views_importing_other_views(bad_tree)) == [
        "portal/features/reductions/views.py:1 imports portal.features.applications.views",
        "portal/features/review/views.py:1 imports portal.features.reductions.views",
    ]


def test_rules_importing_frameworks_or_portal_are_found(bad_tree):
    assert _places(rules_importing_frameworks_or_portal(bad_tree)) == [
        "portal/rules/quote.py:2 imports flask_babel",
        "portal/rules/quote.py:3 imports sqlalchemy.orm",
        "portal/rules/quote.py:4 imports portal.util.clock",
        "portal/rules/quote.py:5 imports portal.models",
    ]
