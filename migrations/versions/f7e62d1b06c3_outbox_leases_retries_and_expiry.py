"""outbox leases, retries and expiry

Revision ID: f7e62d1b06c3
Revises: 3a690b773cf3
Create Date: 2026-12-07 15:59:21.532656

A message is claimed under a lease (claimed_by, claimed_at) before it is sent, a failed one is
tried again from next_attempt_at, and one not sent by expires_on is marked expired
(portal/features/reminders/outbox.py). The messages not sent yet get their last day here: a
catch-up reminder before the deadline its deadline (the milestone starts with it), any other
the day it was due and seven more (REMINDER_EVENT_DAYS), as the outbox gives new ones.
"""

from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f7e62d1b06c3"
down_revision = "3a690b773cf3"
branch_labels = None
depends_on = None

EVENT_DAYS = 7


def upgrade():
    op.add_column("outbox_messages", sa.Column("claimed_by", sa.String(length=60), nullable=True))
    op.add_column(
        "outbox_messages", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "outbox_messages", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("outbox_messages", sa.Column("expires_on", sa.Date(), nullable=True))
    outbox = sa.table(
        "outbox_messages",
        sa.column("id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("milestone", sa.String()),
        sa.column("on_date", sa.Date()),
        sa.column("status", sa.String()),
        sa.column("expires_on", sa.Date()),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(outbox.c.id, outbox.c.kind, outbox.c.milestone, outbox.c.on_date).where(
            outbox.c.status != "sent"
        )
    ).all()
    for id_, kind, milestone, on_date in rows:
        conn.execute(
            sa.update(outbox)
            .where(outbox.c.id == id_)
            .values(expires_on=_expires_on(kind, milestone, on_date))
        )


def _expires_on(kind, milestone, on_date):
    if kind == "catch_up" and not milestone.endswith("/late_fee"):
        try:
            return date.fromisoformat(milestone[:10])
        except ValueError:
            pass
    return on_date + timedelta(days=EVENT_DAYS)


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("expires_on")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
