"""Whose classification is confirmed (``portal.rules.confirmation``), for many employers at once.

The list import asks it of the employers a file would change a held column of: their standings
(``standings``: five statements whatever their number), their approved applications and the
held changes agency staff decided on (one statement each).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select

from portal.core.extensions import db
from portal.facts.standing import standings
from portal.models import CommitmentApplication, HeldChange
from portal.rules.confirmation import (
    Confirmation,
    classification_confirmed,
    confirmation_facts,
)
from portal.rules.standing import Standing

#: A held change agency staff accepted or rejected: their confirmation of the classification.
DECIDED = ("accepted", "rejected")


def confirmations(
    among: Select, on: date
) -> tuple[dict[int, Confirmation | None], dict[int, Standing]]:
    """Why each employer of ``among`` (a subquery of ids) has a confirmed classification on
    ``on`` (None: it has not), with the standings it was decided from."""
    found = standings(on, among=among)
    connection = db.session.connection()
    approved = {
        (employer_id, program_id)
        for employer_id, program_id in connection.execute(
            select(CommitmentApplication.employer_id, CommitmentApplication.program_id).where(
                CommitmentApplication.employer_id.in_(among),
                CommitmentApplication.status == "approved",
            )
        )
    }
    decided = set(
        connection.scalars(
            select(HeldChange.employer_id).where(
                HeldChange.employer_id.in_(among), HeldChange.status.in_(DECIDED)
            )
        )
    )
    result = {
        employer_id: classification_confirmed(
            standing.program,
            confirmation_facts(
                standing,
                has_approved_application=(employer_id, standing.program.id) in approved,
                has_agency_decision=employer_id in decided,
            ),
            on,
        )
        for employer_id, standing in found.items()
    }
    return result, found
