"""employers: one index on (agency_id, name) instead of agency_id alone

The staff employer list shows an agency's employers by name, fifty at a time; with the index on
agency_id alone the database sorted every employer of the agency for each page (issue 17).
The two-column index serves ``agency_id = ?`` lookups as the old one did.

Revision ID: 3f1a9c2e7b10
Revises: ee354e20a015
Create Date: 2026-12-01 23:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3f1a9c2e7b10'
down_revision = 'ee354e20a015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('employers', schema=None) as batch_op:
        batch_op.create_index('ix_employers_agency_id_name', ['agency_id', 'name'], unique=False)
        batch_op.drop_index('ix_employers_agency_id')


def downgrade():
    with op.batch_alter_table('employers', schema=None) as batch_op:
        batch_op.create_index('ix_employers_agency_id', ['agency_id'], unique=False)
        batch_op.drop_index('ix_employers_agency_id_name')
