"""pooling regions: programs from the code, reserve and rates dated

Which program a region runs now follows from its administrative code (portal/rules/data/
regions.yaml), and its fund reserve and rates are dated rows (fund_reserves, region_rates,
created by b252b586e750), so the four undated columns go. What they held is kept first:

- fund_reserve_months -> fund_reserves at month 2022-01. The column held one undated value, the
  one the 2022 programs read (Jiangsu 二 and Inner Mongolia 一: only above 6 months); the rules
  read the latest month on or before a day's month, and 2022-01 keeps it in force on every day
  those programs (from 2022-07) are shown, without claiming it for 2020 and 2021.
- unit_medical_rate and maternity_rate -> region_rates from 2020-01: the estimates of both the
  2020 and the 2022 programs used them.

Downgrading puts the latest of each back and a program by the code's first digits (as
regions.yaml had it when this was written).

Revision ID: 8a1c2b48ba87
Revises: 6844f01f6b72
Create Date: 2026-12-07 15:53:53.557100

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8a1c2b48ba87'
down_revision = '6844f01f6b72'
branch_labels = None
depends_on = None

RESERVE_MONTH = "2022-01"
RATES_FROM = "2020-01"


def upgrade():
    conn = op.get_bind()
    # The old and new columns are ScaledDecimal alike (the same integer scale: 2 for months,
    # 4 for rates), so the stored integers are copied as they are.
    conn.execute(
        sa.text(
            "INSERT INTO fund_reserves (region_id, month, months, created_at, updated_at)"
            " SELECT id, CAST(:month AS VARCHAR(7)), fund_reserve_months, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
            " FROM pooling_regions WHERE fund_reserve_months IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM fund_reserves f WHERE f.region_id = pooling_regions.id"
            " AND f.month = :month)"
        ),
        {"month": RESERVE_MONTH},
    )
    # A region with one rate known only: the other is 0 until an import gives it (the
    # estimate adds the maternity rate where the program defers it; a missing one added 0).
    conn.execute(
        sa.text(
            "INSERT INTO region_rates"
            " (region_id, start_month, unit_medical_rate, maternity_rate, created_at, updated_at)"
            " SELECT id, CAST(:start AS VARCHAR(7)), COALESCE(unit_medical_rate, 0), COALESCE(maternity_rate, 0),"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
            " FROM pooling_regions WHERE unit_medical_rate IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM region_rates r WHERE r.region_id = pooling_regions.id"
            " AND r.start_month = :start)"
        ),
        {"start": RATES_FROM},
    )
    with op.batch_alter_table('pooling_regions', schema=None) as batch_op:
        batch_op.drop_column('program_id')
        batch_op.drop_column('fund_reserve_months')
        batch_op.drop_column('maternity_rate')
        batch_op.drop_column('unit_medical_rate')


def downgrade():
    with op.batch_alter_table('pooling_regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_medical_rate', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('maternity_rate', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('fund_reserve_months', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('program_id', sa.String(length=40), nullable=True))
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "UPDATE pooling_regions SET program_id = CASE"
            " WHEN code LIKE '3715%' THEN 'liaocheng-2022'"
            " WHEN code LIKE '3713%' THEN 'linyi-2020'"
            " WHEN code LIKE '37%' THEN 'shandong-2022'"
            " WHEN code LIKE '32%' THEN 'jiangsu-2022'"
            " WHEN code LIKE '15%' THEN 'inner-mongolia-2022'"
            " ELSE 'unknown' END"  # no program covered it: the old column had no such value
        )
    )
    conn.execute(
        sa.text(
            "UPDATE pooling_regions SET fund_reserve_months = (SELECT f.months FROM fund_reserves f"
            " WHERE f.region_id = pooling_regions.id ORDER BY f.month DESC LIMIT 1)"
        )
    )
    for column in ("unit_medical_rate", "maternity_rate"):
        conn.execute(
            sa.text(
                f"UPDATE pooling_regions SET {column} = (SELECT r.{column} FROM region_rates r"  # noqa: S608 - fixed names
                " WHERE r.region_id = pooling_regions.id ORDER BY r.start_month DESC LIMIT 1)"
            )
        )
    with op.batch_alter_table('pooling_regions', schema=None) as batch_op:
        batch_op.alter_column('program_id', existing_type=sa.String(length=40), nullable=False)
