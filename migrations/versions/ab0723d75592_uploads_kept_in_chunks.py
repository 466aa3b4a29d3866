"""uploads kept in chunks

An imported register (up to 200 MB) is kept a megabyte a row in ``uploaded_file_chunks``, never
whole in a process. On PostgreSQL the chunks, and a job's file's, are stored without TOAST's
compression (``STORAGE EXTERNAL``): pglz over a 79 MB upload cost the page a second, and an
.xlsx is compressed already.

Revision ID: ab0723d75592
Revises: 42b258c74964
Create Date: 2026-12-08 00:41:05.968058

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "ab0723d75592"
down_revision = "42b258c74964"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "uploaded_file_chunks",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["name"], ["uploaded_files.name"], name=op.f("fk_uploaded_file_chunks_name_uploaded_files")
        ),
        sa.PrimaryKeyConstraint("name", "seq", name=op.f("pk_uploaded_file_chunks")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in ("uploaded_file_chunks", "job_file_chunks"):
            op.execute(f"ALTER TABLE {table} ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE job_file_chunks ALTER COLUMN data SET STORAGE EXTENDED")
    op.drop_table("uploaded_file_chunks")
