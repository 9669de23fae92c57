"""tasks: background work (Run now, Poll now, rules deploy) and its status (issue 15)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 08:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='task_state', native_enum=False,
                               length=16), nullable=False),
    sa.Column('progress', sa.String(length=500), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('started_by', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('client_addr', sa.String(length=64), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('dedupe_key', sa.String(length=128), nullable=True),
    sa.Column('worker_node', sa.String(length=255), nullable=False),
    sa.Column('created_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('started_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('finished_at', console.models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_tasks_dedupe_key'))
    )
    op.create_index('ix_tasks_created_at', 'tasks', ['created_at'], unique=False)
    op.create_index('ix_tasks_kind_state', 'tasks', ['kind', 'state'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tasks_kind_state', table_name='tasks')
    op.drop_index('ix_tasks_created_at', table_name='tasks')
    op.drop_table('tasks')
