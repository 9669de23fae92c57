"""compliance runs, results, waivers and the run lock

Revision ID: 0006
Revises: 0002
Create Date: 2026-12-02 08:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compliance_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('catalog_digest', sa.String(length=16), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_runs'))
    )
    op.create_index('ix_compliance_runs_started_at', 'compliance_runs', ['started_at'], unique=False)
    op.create_table('compliance_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('control_id', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('target_kind', sa.String(length=8), nullable=False),
    sa.Column('unit', sa.String(length=128), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('why', sa.String(length=500), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('evidence_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('waiver_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['compliance_runs.id'], name=op.f('fk_compliance_results_run_id_compliance_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_results'))
    )
    op.create_index('ix_compliance_results_run_result', 'compliance_results', ['run_id', 'result'], unique=False)
    op.create_index('ix_compliance_results_run_control', 'compliance_results', ['run_id', 'control_id'], unique=False)
    op.create_index('ix_compliance_results_run_target', 'compliance_results', ['run_id', 'target'], unique=False)
    op.create_table('compliance_waivers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('control_id', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('expires_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_waivers'))
    )
    op.create_index('ix_compliance_waivers_control_target', 'compliance_waivers', ['control_id', 'target'], unique=False)
    op.create_table('compliance_locks',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('acquired_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', console.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_compliance_locks'))
    )


def downgrade() -> None:
    op.drop_table('compliance_locks')
    op.drop_index('ix_compliance_waivers_control_target', table_name='compliance_waivers')
    op.drop_table('compliance_waivers')
    op.drop_index('ix_compliance_results_run_target', table_name='compliance_results')
    op.drop_index('ix_compliance_results_run_control', table_name='compliance_results')
    op.drop_index('ix_compliance_results_run_result', table_name='compliance_results')
    op.drop_table('compliance_results')
    op.drop_index('ix_compliance_runs_started_at', table_name='compliance_runs')
    op.drop_table('compliance_runs')
