"""Work longer than a page, as a person follows it: what was asked, by whom, how far it is.

The queue itself is procrastinate's (its own tables, on PostgreSQL); a ``Job`` row is what the
job's page shows: its stage, rows done of rows in all, when it started and ended, and its
result (an import's record, a file to download). A file a job makes is kept in
``job_file_chunks``, a megabyte a row, so that neither its making nor its download holds the
whole file in memory.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The registered job function (portal.core.jobs.register), e.g. "imports.check".
    kind: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(40), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    # The arguments of the job function (plain JSON), and what it handed back.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    # A refusal's "<kind>.<code>" (portal/labels/errors.py words it), or "crashed" (the
    # details are in the log).
    error: Mapped[str | None] = mapped_column(String(80))
    error_details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Who asked (None: the schedule or a command), and the agency it is for (None: every one).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Written with the progress: a running job whose beat stopped was interrupted.
    beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The file it made, if any: its name, format and size (its bytes in job_file_chunks).
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_format: Mapped[str | None] = mapped_column(String(10))
    file_size: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class JobFileChunk(Base):
    __tablename__ = "job_file_chunks"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


def not_the_queues(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object``: procrastinate's own tables (``procrastinate_*``, its
    schema applied by a migration) are not the models', never to be dropped by autogenerate."""
    table = obj.table.name if type_ in ("index", "column", "unique_constraint") else name
    return not str(table or "").startswith("procrastinate_")
