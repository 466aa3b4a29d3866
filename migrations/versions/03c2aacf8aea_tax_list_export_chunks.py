"""tax list export chunks

The file an export of the 缓缴清单 handed out is kept a megabyte a row, written as it is made,
instead of whole in tax_list_exports.content (100,000 rows held the whole file in memory, in
the row and in the job's file). Older exports keep their content, read as before
(portal.features.reports.operations.sent_file).

Revision ID: 03c2aacf8aea
Revises: ab0723d75592
Create Date: 2026-12-08 00:51:10.855491

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '03c2aacf8aea'
down_revision = 'ab0723d75592'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tax_list_export_chunks',
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['export_id'], ['tax_list_exports.id'], name=op.f('fk_tax_list_export_chunks_export_id_tax_list_exports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('export_id', 'seq', name=op.f('pk_tax_list_export_chunks'))
    )


def downgrade():
    op.drop_table('tax_list_export_chunks')
