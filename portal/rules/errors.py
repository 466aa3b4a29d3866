"""Errors raised by the rules: all ValueError subclasses with a stable ``code`` for the UI."""

from __future__ import annotations


class DomainError(ValueError):
    """Base of every refusal the domain and the operations raise.

    ``code`` is stable and names why (portal/labels/errors.py words it for people), ``field`` is
    the form field it belongs to (or None for the form as a whole), ``kind`` groups the codes of
    one feature, and ``details`` carries what the message fills in (a file name, a limit).
    """

    kind = "domain"

    def __init__(self, code: str, field: str | None = None, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.details = details


class RulesError(DomainError):
    """Base of every rules error; ``code`` is stable, ``message`` says what to do."""

    kind = "rules"
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(code or self.default_code, field)
        self.args = (message,)
        self.message = message


class InvalidInput(RulesError):
    """An argument is out of range (negative figure, bad month, a month outside the program)."""


class UnknownProgram(RulesError):
    default_code = "unknown_program"


class UnknownIndustry(RulesError):
    default_code = "unknown_industry"


class InvalidIndustryCode(RulesError):
    default_code = "bad_industry_code"


class NotApplicable(RulesError):
    """The program has no rule for what was asked (e.g. a 2020 program asked for a 2022 period)."""

    default_code = "not_applicable"


class CalendarRangeError(RulesError):
    """A date lies outside the years the working-day calendar covers."""

    default_code = "outside_calendar"


class InvalidCreditCode(RulesError):
    """A unified social credit code is malformed; ``message_zh`` is the Chinese message."""

    default_code = "invalid_credit_code"

    def __init__(self, message: str, *, code: str, message_zh: str, position: int | None = None):
        super().__init__(message, code=code, field="uscc")
        self.message_zh = message_zh
        self.position = position


class PolicyError(RulesError):
    """A policy file is malformed: names the file, the key and what is wrong."""

    default_code = "bad_policy_file"

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key or '(top level)'}: {problem}")
        self.file = file
        self.key = key
        self.problem = problem
