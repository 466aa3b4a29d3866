"""employers.facts_version, moved on by triggers when an employer's facts change

An employer's pages read its decisions, assessments, payments, commitment applications,
letters, departures, per-person assessments and history (audit rows); they keep those reads
per (employer, facts_version) (issue 17). Triggers on those tables (the audit log: on insert,
the only change it allows) move the version on in the transaction that changes them, whoever
writes:
statement-level over transition tables on PostgreSQL (an import moves each employer once per
statement), row-level on SQLite. The SQL is written out here as it was on this date; the models
(portal/models/facts_version.py) build the same triggers for databases made by create_all.

Revision ID: b7e2d4c91f0a
Revises: 3f1a9c2e7b10
Create Date: 2026-12-02 02:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7e2d4c91f0a'
down_revision = '3f1a9c2e7b10'
branch_labels = None
depends_on = None

TABLES = (
    "deferral_decisions",
    "assessments",
    "payments",
    "commitment_applications",
    "stored_letters",
    "departures",
    "person_assessments",
)

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION employer_facts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE employers SET facts_version = facts_version + 1
        WHERE id IN (SELECT employer_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE employers SET facts_version = facts_version + 1
        WHERE id IN (SELECT employer_id FROM old_rows);
    ELSE
        UPDATE employers SET facts_version = facts_version + 1
        WHERE id IN (SELECT employer_id FROM new_rows UNION SELECT employer_id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$
"""


AUDIT_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION employer_history_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE employers SET facts_version = facts_version + 1
    WHERE id IN (SELECT acting_for_employer_id FROM new_rows);
    RETURN NULL;
END
$$
"""
AUDIT_POSTGRES_TRIGGER = (
    "CREATE TRIGGER audit_log_facts_insert AFTER INSERT ON audit_log "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION employer_history_changed()"
)
AUDIT_SQLITE_TRIGGER = (
    "CREATE TRIGGER audit_log_facts_insert AFTER INSERT ON audit_log "
    "WHEN NEW.acting_for_employer_id IS NOT NULL BEGIN "
    "UPDATE employers SET facts_version = facts_version + 1 "
    "WHERE id = NEW.acting_for_employer_id; END"
)


def _postgres(table):
    run = "FOR EACH STATEMENT EXECUTE FUNCTION employer_facts_changed()"
    return [
        f"CREATE TRIGGER {table}_facts_insert AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows {run}",
        f"CREATE TRIGGER {table}_facts_update AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {run}",
        f"CREATE TRIGGER {table}_facts_delete AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows {run}",
    ]


def _sqlite(table):
    bump = "UPDATE employers SET facts_version = facts_version + 1 WHERE id"
    return [
        f"CREATE TRIGGER {table}_facts_insert AFTER INSERT ON {table} "
        f"BEGIN {bump} = NEW.employer_id; END",
        f"CREATE TRIGGER {table}_facts_update AFTER UPDATE ON {table} "
        f"BEGIN {bump} IN (OLD.employer_id, NEW.employer_id); END",
        f"CREATE TRIGGER {table}_facts_delete AFTER DELETE ON {table} "
        f"BEGIN {bump} = OLD.employer_id; END",
    ]


def upgrade():
    with op.batch_alter_table('employers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('facts_version', sa.Integer(), server_default='0', nullable=False)
        )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(POSTGRES_FUNCTION)
    for table in TABLES:
        for statement in _postgres(table) if postgres else _sqlite(table):
            op.execute(statement)
    if postgres:
        op.execute(AUDIT_POSTGRES_FUNCTION)
        op.execute(AUDIT_POSTGRES_TRIGGER)
    else:
        op.execute(AUDIT_SQLITE_TRIGGER)


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            if postgres:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_facts_{event} ON {table}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_facts_{event}")
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS audit_log_facts_insert ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS employer_history_changed()")
        op.execute("DROP FUNCTION IF EXISTS employer_facts_changed()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_facts_insert")
    with op.batch_alter_table('employers', schema=None) as batch_op:
        batch_op.drop_column('facts_version')
