"""Lynis results and pending security updates per host (issue 21)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 14:00:00
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lynis_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('lynis_version', sa.String(length=32), nullable=False),
    sa.Column('started_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('finished_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('received_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('hardening_index', sa.Integer(), nullable=True),
    sa.Column('tests_performed', sa.Integer(), nullable=True),
    sa.Column('warning_count', sa.Integer(), nullable=False),
    sa.Column('suggestion_count', sa.Integer(), nullable=False),
    sa.Column('dropped_findings', sa.Integer(), nullable=False),
    sa.Column('cpu_seconds', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], name=op.f('fk_lynis_runs_host_id_hosts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lynis_runs'))
    )
    with op.batch_alter_table('lynis_runs', schema=None) as batch_op:
        batch_op.create_index('ix_lynis_runs_host_finished', ['host_id', 'finished_at'], unique=False)

    op.create_table('host_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('test_id', sa.String(length=32), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('details', sa.String(length=500), nullable=False),
    sa.Column('solution', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], name=op.f('fk_host_findings_host_id_hosts')),
    sa.ForeignKeyConstraint(['run_id'], ['lynis_runs.id'], name=op.f('fk_host_findings_run_id_lynis_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_findings'))
    )
    with op.batch_alter_table('host_findings', schema=None) as batch_op:
        batch_op.create_index('ix_host_findings_host', ['host_id'], unique=False)
        batch_op.create_index('ix_host_findings_test', ['test_id'], unique=False)

    op.create_table('host_security_updates',
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('checked_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('apt_updated_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('pending_count', sa.Integer(), nullable=False),
    sa.Column('oldest_pending_since', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('packages', sa.JSON(), nullable=False),
    sa.Column('dropped_packages', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], name=op.f('fk_host_security_updates_host_id_hosts')),
    sa.PrimaryKeyConstraint('host_id', name=op.f('pk_host_security_updates'))
    )
    op.create_table('hardening_waivers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('test_id', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('expires_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], name=op.f('fk_hardening_waivers_host_id_hosts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hardening_waivers'))
    )
    with op.batch_alter_table('hardening_waivers', schema=None) as batch_op:
        batch_op.create_index('ix_hardening_waivers_host_test', ['host_id', 'test_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hardening_waivers', schema=None) as batch_op:
        batch_op.drop_index('ix_hardening_waivers_host_test')
    op.drop_table('hardening_waivers')
    op.drop_table('host_security_updates')
    with op.batch_alter_table('host_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_host_findings_test')
        batch_op.drop_index('ix_host_findings_host')
    op.drop_table('host_findings')
    with op.batch_alter_table('lynis_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_lynis_runs_host_finished')
    op.drop_table('lynis_runs')
