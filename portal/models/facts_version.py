"""``employers.facts_version``: moved on by the database whenever an employer's facts change.

An employer's pages show its standing (``portal.facts.standing.employer_standing``), decided
from its row and from its decisions, assessments, payments and commitment applications, the
reminders and amounts due at once that follow from its applications, letters, departures and
per-person assessments, and its history (the audit rows written for it). Pages keep what they
read of those tables per (employer, version) (``portal.facts.cache``). Triggers on
them (the audit log: on insert, the only change it allows) move the version on in the same
transaction as any insert, update or delete, whoever runs it (a page, an import, a command, a
statement typed by hand), so a kept read is never older than the employer row it is found by,
on every worker of every machine.

PostgreSQL: statement-level triggers over the statement's transition tables, so that an import
of many rows moves each employer's version once per statement, not once per row. SQLite has
only row-level triggers. The migration ``b7e2d4c91f0a`` creates the same triggers; the test
suite's SQLite databases are built from the models (``create_all``) and get them from here.
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

FACT_TABLES = (
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


# The audit log names its employer in acting_for_employer_id, and takes inserts only.
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


def postgres_triggers(table: str) -> list[str]:
    run = "FOR EACH STATEMENT EXECUTE FUNCTION employer_facts_changed()"
    return [
        f"CREATE TRIGGER {table}_facts_insert AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows {run}",
        f"CREATE TRIGGER {table}_facts_update AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {run}",
        f"CREATE TRIGGER {table}_facts_delete AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows {run}",
    ]


def sqlite_triggers(table: str) -> list[str]:
    bump = "UPDATE employers SET facts_version = facts_version + 1 WHERE id"
    return [
        f"CREATE TRIGGER {table}_facts_insert AFTER INSERT ON {table} "
        f"BEGIN {bump} = NEW.employer_id; END",
        f"CREATE TRIGGER {table}_facts_update AFTER UPDATE ON {table} "
        f"BEGIN {bump} IN (OLD.employer_id, NEW.employer_id); END",
        f"CREATE TRIGGER {table}_facts_delete AFTER DELETE ON {table} "
        f"BEGIN {bump} = OLD.employer_id; END",
    ]


def attach(tables: dict[str, Table]) -> None:
    """Create the triggers with the tables when the schema is built from the models."""
    for name in FACT_TABLES:
        table = tables[name]
        event.listen(table, "after_create", DDL(POSTGRES_FUNCTION).execute_if(dialect="postgresql"))
        for statement in postgres_triggers(name):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
        for statement in sqlite_triggers(name):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    audit = tables["audit_log"]
    for statement in (AUDIT_POSTGRES_FUNCTION, AUDIT_POSTGRES_TRIGGER):
        event.listen(audit, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    event.listen(audit, "after_create", DDL(AUDIT_SQLITE_TRIGGER).execute_if(dialect="sqlite"))
