"""Initial schema: regions, agencies, employers, users, applications, letters, audit log.

Revision ID: 6b6c06a0f530
Revises: 
Create Date: 2026-11-22 23:38:58.938767

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6b6c06a0f530'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
APPEND_ONLY_POSTGRES = [
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]


def upgrade():
    op.create_table('pooling_regions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('province', sa.String(length=50), nullable=False),
    sa.Column('program_id', sa.String(length=40), nullable=False),
    sa.Column('fund_reserve_months', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pooling_regions')),
    sa.UniqueConstraint('code', name=op.f('uq_pooling_regions_code'))
    )
    op.create_table('rate_limit_windows',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('window_start', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start', name=op.f('pk_rate_limit_windows'))
    )
    op.create_table('agencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['pooling_regions.id'], name=op.f('fk_agencies_region_id_pooling_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('code', name=op.f('uq_agencies_code'))
    )
    op.create_table('employers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit_kind', sa.String(length=40), nullable=False),
    sa.Column('insurance_unit_number', sa.String(length=40), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('industry', sa.String(length=40), nullable=True),
    sa.Column('size_class', sa.String(length=20), nullable=True),
    sa.Column('size_source', sa.String(length=20), nullable=True),
    sa.Column('list_status', sa.String(length=20), nullable=False),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('revenue_amount', sa.BigInteger(), nullable=True),
    sa.Column('assets_amount', sa.BigInteger(), nullable=True),
    sa.Column('contribution_base_amount', sa.BigInteger(), nullable=True),
    sa.Column('first_insured_month', sa.String(length=7), nullable=True),
    sa.Column('founded_month', sa.String(length=7), nullable=True),
    sa.Column('is_july_paid', sa.Boolean(), nullable=False),
    sa.Column('has_arrears', sa.Boolean(), nullable=False),
    sa.Column('is_deregistering', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_employers_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employers')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_employers_credit_code'))
    )
    with op.batch_alter_table('employers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employers_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_employers_insurance_unit_number'), ['insurance_unit_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_employers_name'), ['name'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('staff_role', sa.String(length=20), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_nonce', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_users_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('activation_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_activation_codes_employer_id_employers')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_activation_codes_issued_by_id_users')),
    sa.ForeignKeyConstraint(['used_by_id'], ['users.id'], name=op.f('fk_activation_codes_used_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_activation_codes_code_hash'))
    )
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_codes_employer_id'), ['employer_id'], unique=False)

    op.create_table('assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('contribution_base_amount', sa.BigInteger(), nullable=False),
    sa.Column('unit_amount', sa.BigInteger(), nullable=False),
    sa.Column('personal_amount', sa.BigInteger(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_assessments_employer_id_employers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('employer_id', 'month', name=op.f('uq_assessments_employer_id_month'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_employer_id'), ['employer_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('acting_for_employer_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=40), nullable=True),
    sa.Column('request_id', sa.String(length=32), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['acting_for_employer_id'], ['employers.id'], name=op.f('fk_audit_log_acting_for_employer_id_employers')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_acting_for_employer_id'), ['acting_for_employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('commitment_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=30), nullable=True),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('industry', sa.String(length=40), nullable=True),
    sa.Column('industry_code', sa.String(length=10), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('revenue_amount', sa.BigInteger(), nullable=True),
    sa.Column('assets_amount', sa.BigInteger(), nullable=True),
    sa.Column('computed_size', sa.String(length=20), nullable=True),
    sa.Column('signature_method', sa.String(length=10), nullable=True),
    sa.Column('signatory_name', sa.String(length=100), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_commitment_applications_decided_by_id_users')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_commitment_applications_employer_id_employers')),
    sa.ForeignKeyConstraint(['filed_by_staff_id'], ['users.id'], name=op.f('fk_commitment_applications_filed_by_staff_id_users')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_commitment_applications_signed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment_applications')),
    sa.UniqueConstraint('reference', name=op.f('uq_commitment_applications_reference'))
    )
    with op.batch_alter_table('commitment_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_applications_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitment_applications_status'), ['status'], unique=False)

    op.create_table('deferral_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=30), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=20), nullable=False),
    sa.Column('period_start', sa.String(length=7), nullable=True),
    sa.Column('period_end', sa.String(length=7), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('submission_token', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_deferral_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_deferral_decisions_employer_id_employers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deferral_decisions')),
    sa.UniqueConstraint('reference', name=op.f('uq_deferral_decisions_reference')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_deferral_decisions_submission_token'))
    )
    with op.batch_alter_table('deferral_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deferral_decisions_employer_id'), ['employer_id'], unique=False)

    op.create_table('departures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('person_ref', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_departures_employer_id_employers')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_departures_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departures')),
    sa.UniqueConstraint('employer_id', 'person_ref', name=op.f('uq_departures_employer_id_person_ref'))
    )
    with op.batch_alter_table('departures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_departures_employer_id'), ['employer_id'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_memberships_employer_id_employers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('user_id', 'employer_id', name=op.f('uq_memberships_user_id_employer_id'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('settles', sa.String(length=100), nullable=False),
    sa.Column('source_ref', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_payments_employer_id_employers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('source_ref', name=op.f('uq_payments_source_ref'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_employer_id'), ['employer_id'], unique=False)

    op.create_table('person_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('person_ref', sa.String(length=40), nullable=False),
    sa.Column('person_name', sa.String(length=100), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('unit_amount', sa.BigInteger(), nullable=False),
    sa.Column('personal_amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_person_assessments_employer_id_employers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_assessments')),
    sa.UniqueConstraint('employer_id', 'person_ref', 'month', name=op.f('uq_person_assessments_employer_id_person_ref_month'))
    )
    with op.batch_alter_table('person_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_assessments_employer_id'), ['employer_id'], unique=False)

    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['commitment_applications.id'], name=op.f('fk_evidence_files_application_id_commitment_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_files')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_evidence_files_stored_name'))
    )
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_files_application_id'), ['application_id'], unique=False)

    op.create_table('stored_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('verification_code', sa.String(length=32), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['commitment_applications.id'], name=op.f('fk_stored_letters_application_id_commitment_applications')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_stored_letters_employer_id_employers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_letters')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_stored_letters_verification_code'))
    )
    with op.batch_alter_table('stored_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_letters_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_letters_employer_id'), ['employer_id'], unique=False)


    # The audit log is append-only in the database itself, not only in the application.
    statements = APPEND_ONLY_POSTGRES if op.get_bind().dialect.name == "postgresql" else APPEND_ONLY_SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table('stored_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_letters_employer_id'))
        batch_op.drop_index(batch_op.f('ix_stored_letters_application_id'))

    op.drop_table('stored_letters')
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_files_application_id'))

    op.drop_table('evidence_files')
    with op.batch_alter_table('person_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_assessments_employer_id'))

    op.drop_table('person_assessments')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_employer_id'))

    op.drop_table('payments')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_user_id'))
        batch_op.drop_index(batch_op.f('ix_memberships_employer_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('departures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_departures_employer_id'))

    op.drop_table('departures')
    with op.batch_alter_table('deferral_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deferral_decisions_employer_id'))

    op.drop_table('deferral_decisions')
    with op.batch_alter_table('commitment_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_applications_status'))
        batch_op.drop_index(batch_op.f('ix_commitment_applications_employer_id'))

    op.drop_table('commitment_applications')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))
        batch_op.drop_index(batch_op.f('ix_audit_log_acting_for_employer_id'))

    op.drop_table('audit_log')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_employer_id'))

    op.drop_table('assessments')
    with op.batch_alter_table('activation_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_codes_employer_id'))

    op.drop_table('activation_codes')
    op.drop_table('users')
    with op.batch_alter_table('employers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employers_name'))
        batch_op.drop_index(batch_op.f('ix_employers_insurance_unit_number'))
        batch_op.drop_index(batch_op.f('ix_employers_agency_id'))

    op.drop_table('employers')
    op.drop_table('agencies')
    op.drop_table('rate_limit_windows')
    op.drop_table('pooling_regions')
