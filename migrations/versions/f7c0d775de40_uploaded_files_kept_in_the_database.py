"""uploaded files kept in the database

Evidence, letters of authority and scans of paper letters were files in UPLOAD_DIR on the
machine that received them; workers on other machines could not read them. Their bytes move
into ``uploaded_files``; the rows that name them keep their names. Files still in the old folder
(UPLOAD_DIR, else instance/uploads) are loaded; a downgrade writes them back there.

Revision ID: f7c0d775de40
Revises: 9e1fafba23ca
Create Date: 2026-11-23 01:47:22.436307

"""
import os
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f7c0d775de40'
down_revision = '9e1fafba23ca'
branch_labels = None
depends_on = None



def _old_folder() -> Path:
    default = Path(__file__).resolve().parents[2] / "instance" / "uploads"
    return Path(os.environ.get("UPLOAD_DIR") or default)

NAMED_BY = (
    ("evidence_files", "stored_name"),
    ("acting_sessions", "letter_stored_name"),
    ("paper_signatures", "scan_stored_name"),
)
uploaded_files = sa.table(
    "uploaded_files",
    sa.column("name", sa.String),
    sa.column("data", sa.LargeBinary),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _named_files(bind) -> list[str]:
    names = []
    for table, column in NAMED_BY:
        rows = bind.execute(sa.text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"))  # noqa: S608 - fixed names
        names.extend(name for (name,) in rows)
    return names


def upgrade():
    op.create_table('uploaded_files',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_uploaded_files'))
    )
    bind = op.get_bind()
    now = datetime.now(UTC)
    folder = _old_folder()
    for name in _named_files(bind):
        path = folder / name
        if name.isalnum() and path.is_file():
            bind.execute(
                uploaded_files.insert().values(name=name, data=path.read_bytes(), created_at=now)
            )


def downgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.select(uploaded_files.c.name, uploaded_files.c.data)).all()
    folder = _old_folder()
    if rows:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, data in rows:
        (folder / name).write_bytes(data)
    op.drop_table('uploaded_files')
