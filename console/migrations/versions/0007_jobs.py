"""jobs: playbook runs, per-host results, output events and host locks

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-25 10:36:39.787313
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('playbook', sa.String(length=255), nullable=False),
    sa.Column('limit', sa.String(length=1024), nullable=False),
    sa.Column('tags', sa.String(length=1024), nullable=False),
    sa.Column('check_mode', sa.Boolean(), nullable=False),
    sa.Column('extravars', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'successful', 'failed', 'cancelled', 'error', name='job_state', native_enum=False, length=16), nullable=False),
    sa.Column('started_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('started_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('finished_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('cancel_requested_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('cancel_requested_by', sa.String(length=64), nullable=False),
    sa.Column('return_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=False),
    sa.Column('worker_pid', sa.Integer(), nullable=True),
    sa.Column('worker_node', sa.String(length=255), nullable=False),
    sa.Column('host_count', sa.Integer(), nullable=False),
    sa.Column('ok_count', sa.Integer(), nullable=False),
    sa.Column('changed_count', sa.Integer(), nullable=False),
    sa.Column('failed_count', sa.Integer(), nullable=False),
    sa.Column('unreachable_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_jobs_state', ['state'], unique=False)

    op.create_table('job_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('task', sa.String(length=1024), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('stdout', sa.Text(), nullable=False),
    sa.Column('created_at', console.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_events_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_events')),
    sa.UniqueConstraint('job_id', 'seq', name='uq_job_events_job_seq')
    )
    op.create_table('job_host_locks',
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_host_locks_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('host', name=op.f('pk_job_host_locks'))
    )
    op.create_table('job_host_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ok', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('unreachable', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_host_results_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_host_results')),
    sa.UniqueConstraint('job_id', 'host', name='uq_job_host_results_job_host')
    )


def downgrade() -> None:
    op.drop_table('job_host_results')
    op.drop_table('job_host_locks')
    op.drop_table('job_events')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_state')
        batch_op.drop_index('ix_jobs_created_at')

    op.drop_table('jobs')
