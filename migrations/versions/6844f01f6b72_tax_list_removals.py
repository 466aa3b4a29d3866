"""tax list removals

An employer sent to the tax bureau that has left the 缓缴清单 is carried once as a removal
(移出清单): its export row says so, and the export counts them (and, for CSV, the removals'
own file's SHA-256).

Revision ID: 6844f01f6b72
Revises: f7e62d1b06c3
Create Date: 2026-12-07 15:57:32.893045

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6844f01f6b72'
down_revision = 'f7e62d1b06c3'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'tax_list_export_rows',
        sa.Column('is_removal', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        'tax_list_exports',
        sa.Column('removal_count', sa.Integer(), server_default='0', nullable=False),
    )
    op.add_column(
        'tax_list_exports', sa.Column('removals_sha256', sa.String(length=64), nullable=True)
    )


def downgrade():
    with op.batch_alter_table('tax_list_exports', schema=None) as batch_op:
        batch_op.drop_column('removals_sha256')
        batch_op.drop_column('removal_count')

    with op.batch_alter_table('tax_list_export_rows', schema=None) as batch_op:
        batch_op.drop_column('is_removal')
