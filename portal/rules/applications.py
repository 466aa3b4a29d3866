"""What an application to the agency must carry, and how long the agency takes to review it.

Two routes lead to a review: the commitment application of the 2022 programs (告知承诺制,
鲁医保发〔2022〕21号 四) and the 2020 deferral by application (临医保发〔2020〕28号 操作细则
二（二）; 锡医保服务〔2020〕11号 三（一）). A program has one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._schema import Param
from .policy import Program


def review_working_days(program: Program) -> int | None:
    """The working days the agency takes to review an application under ``program``: the
    commitment review (鲁医保发〔2022〕21号 四), else the 2020 deferral's (a reading: the 2020
    texts set none); None where the program sets neither."""
    param = _review_param(program)
    return None if param is None else int(param.value)


def review_time_is_set_by_text(program: Program) -> bool:
    """Whether the review time under ``program`` is one its text sets (鲁医保发〔2022〕21号 四:
    3个工作日), not the portal's reading where the text sets none (江苏省实施方案（2022） 三（一）,
    内医保办发〔2022〕19号 三（一）3, the 2020 texts). A reading carries an explanation; its days
    are the review queue's target and are never told to employers as a time limit."""
    param = _review_param(program)
    return param is not None and param.explanation is None


def _review_param(program: Program) -> Param[int] | None:
    """The commitment review's days, else the 2020 deferral's."""
    if program.review_working_days is not None or program.deferral is None:
        return program.review_working_days
    return program.deferral.review_working_days


@dataclass(frozen=True)
class RequiredDocument:
    """A document an application must carry before it is sent, with the clause that asks for it.

    ``key`` is one of ``portal.rules.policy.APPLICATION_DOCUMENTS``: ``signed_commitment_letter``
    (the 承诺书, signed online or on paper), ``supporting_evidence`` (at least one uploaded file
    of 相关证明材料, 鲁医保发〔2022〕21号 四) or ``uploaded_letter`` (at least one uploaded
    application letter, commitment letter or form).
    """

    key: str
    ref: str


def required_documents(program: Program) -> tuple[RequiredDocument, ...]:
    """Every document an application under ``program`` must carry before it is sent."""
    if program.application_documents is not None:  # a 2022 commitment application
        param = program.application_documents
        return tuple(RequiredDocument(key, param.ref) for key in param.value)
    rule = program.deferral
    if rule is not None and rule.documents_required is not None and rule.documents_required.value:
        return (RequiredDocument("uploaded_letter", rule.documents_required.ref),)
    return ()


def missing_documents(
    program: Program, *, is_signed: bool, uploaded_files: int
) -> tuple[RequiredDocument, ...]:
    """The required documents an application does not carry yet, in the program's order, given
    whether its commitment letter is signed and how many files it has."""
    carried = {
        "signed_commitment_letter": is_signed,
        "supporting_evidence": uploaded_files > 0,
        "uploaded_letter": uploaded_files > 0,
    }
    return tuple(d for d in required_documents(program) if not carried[d.key])


__all__ = [
    "RequiredDocument",
    "missing_documents",
    "required_documents",
    "review_time_is_set_by_text",
    "review_working_days",
]
