"""service halls belong to an agency

A clerk records a paper signature at one of their own agency's halls (issue 28, item 12), so a
hall now names its agency. The halls already there are Linyi's, loaded by 9e1fafba23ca from
portal/features/hall/linyi_service_halls.yaml (临医保发〔2020〕28号 四、五): they go to the agency
of Linyi's pooling region (administrative code 371300) when exactly one such agency exists.
A database with no such agency yet (a new one: the migrations run before any agency is
entered) keeps them without an agency, listed under their city, until an administrator (or
`flask portal demo`) chooses it.

Revision ID: 742c1f7b259b
Revises: b7e2d4c91f0a
Create Date: 2026-12-07 14:01:29.899477

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '742c1f7b259b'
down_revision = 'b7e2d4c91f0a'
branch_labels = None
depends_on = None

LINYI_REGION_CODE = "371300"
LINYI_CITY = "临沂市"


def upgrade():
    with op.batch_alter_table('service_halls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_service_halls_agency_id'), ['agency_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_service_halls_agency_id_agencies'), 'agencies', ['agency_id'], ['id'])
    _give_linyis_halls_their_agency()


def _give_linyis_halls_their_agency():
    conn = op.get_bind()
    agencies = conn.execute(
        sa.text(
            "SELECT agencies.id FROM agencies"
            " JOIN pooling_regions ON pooling_regions.id = agencies.region_id"
            " WHERE pooling_regions.code = :code"
        ),
        {"code": LINYI_REGION_CODE},
    ).scalars().all()
    if len(agencies) != 1:  # none yet, or several: an administrator chooses
        return
    conn.execute(
        sa.text(
            "UPDATE service_halls SET agency_id = :agency_id"
            " WHERE city = :city AND agency_id IS NULL"
        ),
        {"agency_id": agencies[0], "city": LINYI_CITY},
    )


def downgrade():
    with op.batch_alter_table('service_halls', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_halls_agency_id_agencies'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_service_halls_agency_id'))
        batch_op.drop_column('agency_id')
