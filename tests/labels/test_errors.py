"""Every domain-error code the operations raise has its own words, and lands on its field."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask_babel import force_locale

import portal
from portal.labels import errors as catalogue
from portal.labels import put_error
from portal.rules.errors import DomainError

PORTAL = Path(portal.__file__).parent


def _domain_error_kinds() -> dict[str, str]:
    """Class name -> kind, for every DomainError subclass defined in portal/."""
    kinds = {}
    for path in PORTAL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and isinstance(item.targets[0], ast.Name)
                        and item.targets[0].id == "kind"
                        and isinstance(item.value, ast.Constant)
                    ):
                        kinds[node.name] = item.value.value
    return kinds


def _raised_codes() -> set[tuple[str, str]]:
    """(kind, code) of every ``raise SomeError("code", ...)`` outside the rules."""
    kinds = _domain_error_kinds()
    found = set()
    for path in PORTAL.rglob("*.py"):
        if "rules" in path.relative_to(PORTAL).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                args = node.exc.args
                if name in kinds and args and isinstance(args[0], ast.Constant):
                    found.add((kinds[name], args[0].value))
    return found


def test_the_walk_finds_the_operations_errors() -> None:
    codes = _raised_codes()
    assert ("decision", "changed") in codes and ("visitor", "id_checksum") in codes
    assert len({kind for kind, _ in codes}) >= 8


@pytest.mark.parametrize("kind_code", sorted(_raised_codes()), ids=lambda kc: ".".join(kc))
def test_every_raised_code_has_a_message(app, kind_code) -> None:
    kind, code = kind_code
    assert f"{kind}.{code}" in catalogue.MESSAGES or f"{kind}.*" in catalogue.MESSAGES
    error = type("E", (DomainError,), {"kind": kind})(code, filename="a.pdf")
    with app.test_request_context(), force_locale("zh"):
        message = catalogue.error_message(error)
    assert message and "无法办理" not in message  # not the generic fallback


def test_put_error_lands_on_the_field_or_the_summary(app) -> None:
    from portal.features.amounts.forms import DepartureForm
    from portal.features.amounts.operations import DepartureError

    with app.test_request_context(), force_locale("en"):
        form = DepartureForm(meta={"csrf": False})
        put_error(form, DepartureError("future", "left_on"))
        assert form.left_on.errors == ["The date cannot be in the future"]
        csrf_form = DepartureForm()
        put_error(csrf_form, DepartureError("recorded"))
        assert csrf_form.csrf_token.errors[0].startswith(
            "A departure is already recorded for this person."
        )


def test_arrears_refusal_names_a_month_only_where_the_program_does(app) -> None:
    """Issue 28 item 7: 鲁医保发〔2022〕21号 一 stops at 2022-06; 聊医保发〔2022〕39号 一 sets no
    month, so a Liaocheng applicant clears every interrupted payment."""
    from portal.rules import load_program

    class Refused(DomainError):
        kind = "application"

    with app.test_request_context(), force_locale("zh"):
        shandong = catalogue.error_message(
            Refused("arrears"), program=load_program("shandong-2022")
        )
        liaocheng = catalogue.error_message(
            Refused("arrears"), program=load_program("liaocheng-2022")
        )
    assert "2022-06 及以前" in shandong
    assert "2022-06" not in liaocheng and "全部欠费" in liaocheng
