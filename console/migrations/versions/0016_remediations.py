"""remediations: a failing control carried through Ansible check and apply jobs to a verification (issue 19)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 17:20:00
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs') as batch:
        batch.add_column(sa.Column('diff', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('remediations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('control_id', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('hosts', sa.JSON(), nullable=False),
    sa.Column('playbook', sa.String(length=255), nullable=False),
    sa.Column('tags', sa.String(length=1024), nullable=False),
    sa.Column('extravars', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('checking', 'checked', 'applying', 'verifying', 'verified', 'still_failing',
                               'cancelled', 'error', name='remediation_state', native_enum=False, length=16),
              nullable=False),
    sa.Column('needs_approval', sa.Boolean(), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requested_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('check_job_id', sa.Integer(), nullable=True),
    sa.Column('approved_by', sa.String(length=64), nullable=False),
    sa.Column('approved_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('applied_by', sa.String(length=64), nullable=False),
    sa.Column('apply_job_id', sa.Integer(), nullable=True),
    sa.Column('apply_ended_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('verify_deadline', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('verified_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('verification', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('updated_at', console.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['check_job_id'], ['jobs.id'], name=op.f('fk_remediations_check_job_id_jobs'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['apply_job_id'], ['jobs.id'], name=op.f('fk_remediations_apply_job_id_jobs'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remediations'))
    )
    with op.batch_alter_table('remediations') as batch:
        batch.create_index('ix_remediations_state', ['state'], unique=False)
        batch.create_index('ix_remediations_control_id', ['control_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('remediations') as batch:
        batch.drop_index('ix_remediations_control_id')
        batch.drop_index('ix_remediations_state')
    op.drop_table('remediations')
    with op.batch_alter_table('jobs') as batch:
        batch.drop_column('diff')
