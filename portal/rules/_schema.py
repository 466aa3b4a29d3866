"""A small validator for the policy YAML: typed accessors that fail with file, key and problem."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from .errors import PolicyError

T = TypeVar("T")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Param(Generic[T]):
    """One policy value with the clause it comes from; readings carry an explanation."""

    value: T
    ref: str
    explanation: str | None = None


class _PolicyLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text, so a bad date is reported with its key."""


_PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, turning syntax errors into a PolicyError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(path.name, "", f"cannot read the file ({exc.strerror})") from exc
    try:
        return yaml.load(text, Loader=_PolicyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise PolicyError(path.name, "", f"not valid YAML{where}: {exc}") from exc


class Node:
    """A mapping inside a policy file, with its dotted key for messages."""

    def __init__(self, file: str, data: Any, key: str = "") -> None:
        self.file = file
        self.key = key
        if not isinstance(data, dict):
            raise self.error(f"must be a mapping, found {_kind(data)}")
        self.data: dict[Any, Any] = data

    def error(self, problem: str, key: str | None = None) -> PolicyError:
        return PolicyError(self.file, self._join(key) if key is not None else self.key, problem)

    def _join(self, key: Any) -> str:
        return f"{self.key}.{key}" if self.key else str(key)

    def only(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                raise self.error(f"unexpected key (allowed: {', '.join(sorted(allowed))})", key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        if key not in self.data:
            raise self.error("is missing", key)
        return self.data[key]

    def child(self, key: str) -> Node:
        return Node(self.file, self.raw(key), self._join(key))

    def children(self, key: str) -> list[Node]:
        value = self.raw(key)
        if not isinstance(value, list):
            raise self.error(f"must be a list, found {_kind(value)}", key)
        return [Node(self.file, item, f"{self._join(key)}[{i}]") for i, item in enumerate(value)]

    def text(self, key: str) -> str:
        return as_text(self.raw(key), self.error, key)

    def value(self, key: str, conv: Callable[[Any, Callable[..., PolicyError], str], T]) -> T:
        return conv(self.raw(key), self.error, key)

    def param(
        self,
        key: str,
        conv: Callable[[Any, Callable[..., PolicyError], str], T],
        *,
        reading: bool = False,
    ) -> Param[T]:
        """Read ``key`` as {value, ref, explanation?}; a reading must have an explanation."""
        node = self.child(key)
        node.only({"value", "ref", "explanation"})
        ref = node.text("ref")
        explanation = node.text("explanation") if "explanation" in node.data else None
        if reading and explanation is None:
            raise node.error("is a reading: give a one-line `explanation`", "explanation")
        return Param(node.value("value", conv), ref, explanation)

    def optional_param(
        self,
        key: str,
        conv: Callable[[Any, Callable[..., PolicyError], str], T],
    ) -> Param[T] | None:
        if key not in self.data:
            raise self.error("is missing (write `null` if the program has no such rule)", key)
        return None if self.data[key] is None else self.param(key, conv)


ErrorFn = Callable[..., PolicyError]


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a decimal number",
        date: "a date",
    }.get(type(value), type(value).__name__)


def as_text(value: Any, error: ErrorFn, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise error(f"must be non-empty text, found {_kind(value)}", key)
    return value.strip()


def as_month(value: Any, error: ErrorFn, key: str) -> str:
    if not isinstance(value, str) or not MONTH_RE.match(value):
        raise error(f'must be a month written "YYYY-MM" in quotes, found {value!r}', key)
    return value


def as_date(value: Any, error: ErrorFn, key: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise error(f"must be a date YYYY-MM-DD, found {value!r}", key)


def as_decimal(value: Any, error: ErrorFn, key: str) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise error(
            f'must be a decimal written in quotes (e.g. "0.05") so it stays exact, found {value!r}',
            key,
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            result = None
        if result is not None and result.is_finite():
            return result
    raise error(f"must be a decimal number, found {value!r}", key)


def as_rate(value: Any, error: ErrorFn, key: str) -> Decimal:
    rate = as_decimal(value, error, key)
    if not Decimal(0) <= rate < Decimal(1):
        raise error(f'must be a rate between 0 and 1 (e.g. "0.05" for 5 %), found {value!r}', key)
    return rate


def as_positive_int(value: Any, error: ErrorFn, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise error(f"must be a whole number above 0, found {value!r}", key)
    return value


def as_bool(value: Any, error: ErrorFn, key: str) -> bool:
    if not isinstance(value, bool):
        raise error(f"must be true or false, found {value!r}", key)
    return value


def as_text_list(value: Any, error: ErrorFn, key: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise error(f"must be a list, found {_kind(value)}", key)
    return tuple(as_text(item, error, f"{key}[{i}]") for i, item in enumerate(value))


def as_positive_int_list(value: Any, error: ErrorFn, key: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise error(f"must be a non-empty list, found {_kind(value)}", key)
    return tuple(as_positive_int(item, error, f"{key}[{i}]") for i, item in enumerate(value))


def one_of(*choices: str) -> Callable[[Any, ErrorFn, str], str]:
    def conv(value: Any, error: ErrorFn, key: str) -> str:
        if not isinstance(value, str) or value not in choices:
            raise error(f"must be one of {', '.join(choices)}, found {value!r}", key)
        return value

    return conv


def subset_of(choices: Iterable[str]) -> Callable[[Any, ErrorFn, str], tuple[str, ...]]:
    allowed = tuple(choices)

    def conv(value: Any, error: ErrorFn, key: str) -> tuple[str, ...]:
        items = as_text_list(value, error, key)
        for i, item in enumerate(items):
            if item not in allowed:
                raise error(f"{item!r} is not one of {', '.join(allowed)}", f"{key}[{i}]")
        return items

    return conv
