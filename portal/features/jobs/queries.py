"""The jobs a staff member may see: their own, and those of their agency (administrators: all)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import or_, select

from portal.core import jobs
from portal.core.extensions import db
from portal.models import Job, User
from portal.web.permissions import agency_scope

RECENT = 50


def _visible(user: User):
    scope = agency_scope(user)
    if scope is None:
        return True
    return or_(Job.actor_id == user.id, Job.agency_id == scope)


def get_job_or_404(user: User, job_id: int) -> Job:
    job = db.session.scalar(select(Job).where(Job.id == job_id, _visible(user)))
    if job is None:
        abort(404)
    return jobs.with_progress([job])[0]


def recent_jobs(user: User) -> list[Job]:
    found = db.session.scalars(
        select(Job).where(_visible(user)).order_by(Job.id.desc()).limit(RECENT)
    )
    return jobs.with_progress(list(found))
