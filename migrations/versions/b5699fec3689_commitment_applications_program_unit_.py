"""commitment applications: program, unit kind, one row per round

Revision ID: b5699fec3689
Revises: c9437025dfbc
Create Date: 2026-11-22 23:49:12.569899

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5699fec3689'
down_revision = 'c9437025dfbc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('commitment_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('program_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('unit_kind', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_commitment_applications_program_id'), ['program_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_commitment_applications_employer_id_round'), ['employer_id', 'round'])


def downgrade():
    with op.batch_alter_table('commitment_applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_commitment_applications_employer_id_round'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_commitment_applications_program_id'))
        batch_op.drop_column('unit_kind')
        batch_op.drop_column('program_id')
