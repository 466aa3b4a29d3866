"""monthly sharing and the report contact's mobile

Revision ID: 78921fa339d9
Revises: c120cca6812b
Create Date: 2026-12-07 18:54:22.428368

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '78921fa339d9'
down_revision = 'c120cca6812b'
branch_labels = None
depends_on = None


def upgrade():
    # 手机号码 of the Wuxi 附表's footer (锡医保服务〔2020〕11号 附表).
    op.add_column(
        'agencies', sa.Column('report_contact_mobile', sa.String(length=40), nullable=True)
    )
    # 按月共享 of the 缓缴清单 (内医保办发〔2022〕19号 五 2).
    op.add_column(
        'tax_list_exports',
        sa.Column('is_monthly', sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    with op.batch_alter_table('tax_list_exports', schema=None) as batch_op:
        batch_op.drop_column('is_monthly')

    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('report_contact_mobile')
