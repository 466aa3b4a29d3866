"""Unified social credit codes (GB 32100-2015): normalise, check with python-stdnum, unit kind."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from stdnum.cn import uscc as stdnum_uscc

from ._schema import Node, Param, as_text, read_yaml, subset_of
from .errors import InvalidCreditCode
from .policy import DATA_DIR, UNIT_KINDS

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
NEVER_USED = "IOZSV"


@dataclass(frozen=True)
class UnitKind:
    prefix: str
    key: str
    zh: str
    en: str
    authority: str
    ref: str


@dataclass(frozen=True)
class UnitKindData:
    kinds: dict[str, UnitKind]
    out_of_scope: Param[tuple[str, ...]]
    # Kinds the unit declares that no code prefix shows (会计师事务所, 等社会组织): key -> kind.
    declared: dict[str, UnitKind] = field(default_factory=dict)


@dataclass(frozen=True)
class CreditCode:
    code: str
    unit_kind: str  # key such as "enterprise"; "unknown" for an unlisted prefix
    unit_kind_zh: str
    unit_kind_en: str
    out_of_scope: bool  # 机关事业单位: not covered by the 2022 deferral
    ref: str

    def __str__(self) -> str:
        return self.code


def parse_unit_kinds(path: Path) -> UnitKindData:
    """Load and validate the unit-kind table."""
    root = Node(path.name, read_yaml(path))
    root.only({"standard", "kinds", "declared", "out_of_scope"})
    root.text("standard")
    kinds_node = root.child("kinds")
    kinds = {}
    for prefix in kinds_node.data:
        if not isinstance(prefix, str) or len(prefix) != 2:
            raise kinds_node.error("prefix must be two characters in quotes", str(prefix))
        node = kinds_node.child(prefix)
        node.only({"key", "zh", "en", "authority", "ref"})
        key = node.text("key")
        if key not in UNIT_KINDS:
            raise node.error(f"{key!r} is not one of {', '.join(UNIT_KINDS)}", "key")
        kinds[prefix] = UnitKind(
            prefix, key, node.text("zh"), node.text("en"), node.text("authority"), node.text("ref")
        )
    declared_node = root.child("declared")
    declared = {}
    for key in declared_node.data:
        if key not in UNIT_KINDS:
            raise declared_node.error(f"{key!r} is not one of {', '.join(UNIT_KINDS)}", str(key))
        node = declared_node.child(key)
        node.only({"zh", "en", "ref"})
        declared[key] = UnitKind(
            "", key, node.text("zh"), node.text("en"), "declared", node.text("ref")
        )
    return UnitKindData(
        kinds, root.param("out_of_scope", subset_of(UNIT_KINDS), reading=True), declared
    )


@functools.cache
def unit_kind_data() -> UnitKindData:
    return parse_unit_kinds(DATA_DIR / "unit_kinds.yaml")


def normalise_uscc(text: str) -> str:
    """Trim, fold full-width to half-width (NFKC), drop inner spaces and hyphens, upper-case."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not ch.isspace() and ch != "-").upper()


def parse_uscc(text: str) -> CreditCode:
    """Check and describe a unified social credit code; raise InvalidCreditCode if it is wrong."""
    if not isinstance(text, str):
        raise InvalidCreditCode(
            "Enter the 18-character unified social credit code.",
            code="missing",
            message_zh="请输入18位统一社会信用代码。",
        )
    code = normalise_uscc(text)
    if not code:
        raise InvalidCreditCode(
            "Enter the 18-character unified social credit code.",
            code="missing",
            message_zh="请输入18位统一社会信用代码。",
        )
    if len(code) != 18:
        raise InvalidCreditCode(
            f"A unified social credit code has 18 characters; this one has {len(code)}.",
            code="wrong_length",
            message_zh=f"统一社会信用代码应为18位，您输入了{len(code)}位。",
        )
    for position, ch in enumerate(code, start=1):
        if ch in NEVER_USED:
            raise InvalidCreditCode(
                f"Character {position} is the letter {ch}, which never appears in a unified "
                f"social credit code (I, O, Z, S and V are not used); check for 1, 0, 2, 5 or U.",
                code="bad_character",
                position=position,
                message_zh=f"第{position}位是字母{ch}，统一社会信用代码不使用I、O、Z、S、V，"
                f"请核对是否为数字1、0、2、5或字母U。",
            )
        if ch not in ALPHABET:
            raise InvalidCreditCode(
                f"Character {position} ({ch!r}) cannot appear in a unified social credit code; "
                f"use digits and capital letters only.",
                code="bad_character",
                position=position,
                message_zh=f"第{position}位（{ch}）不是统一社会信用代码允许的字符，只能使用数字和大写字母。",
            )
    if not code[2:8].isdigit():
        raise InvalidCreditCode(
            "Characters 3 to 8 are the region code and must be digits.",
            code="bad_region",
            message_zh="第3至8位为登记管理机关行政区划码，应为数字。",
        )
    expected = stdnum_uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        raise InvalidCreditCode(
            "The last character (check character) does not match the other 17; the code is "
            "probably mistyped. Compare it with the business licence.",
            code="bad_check",
            message_zh="校验位与前17位不符，可能是输入错误，请对照营业执照核对。",
        )
    data = unit_kind_data()
    kind = data.kinds.get(code[:2])
    if kind is None:
        return CreditCode(
            code, "unknown", "未列明类别", "Unlisted unit kind", False, "GB 32100-2015"
        )
    return CreditCode(
        code, kind.key, kind.zh, kind.en, kind.key in data.out_of_scope.value, kind.ref
    )


def unit_kind_label(key: str) -> tuple[str, str]:
    """Chinese and English names of a unit-kind key."""
    data = unit_kind_data()
    for kind in [*data.kinds.values(), *data.declared.values()]:
        if kind.key == key:
            return kind.zh, kind.en
    return key, key


__all__ = ["parse_uscc", "CreditCode", "normalise_uscc", "as_text"]
