"""Rows for tests that need a hall visit without walking through the visitor form."""

from __future__ import annotations

import hashlib

from portal.core import uploads as files
from portal.core.extensions import db
from portal.models import ActingSession, Employer, User

LETTER = b"%PDF-1.4\n% letter of authority\n"


def hall_visit(employer: Employer, staff: User, *, with_letter: bool = False) -> ActingSession:
    """An open visit by ``staff`` for ``employer``; ``with_letter``: an agent's letter too."""
    visit = ActingSession(
        staff_id=staff.id,
        employer_id=employer.id,
        visitor_name="李来人",
        visitor_id_masked="371302********123X",
        visitor_id_hash="0" * 64,
        capacity="legal_representative",
    )
    if with_letter:
        visit.capacity = "agent"
        visit.letter_stored_name = files.new_stored_name()
        visit.letter_name = "授权委托书.pdf"
        visit.letter_content_type = "application/pdf"
        visit.letter_sha256 = hashlib.sha256(LETTER).hexdigest()
        files.write(visit.letter_stored_name, LETTER)
    db.session.add(visit)
    db.session.flush()
    return visit
