"""availability: check results kept raw then rolled up per hour, check and service states, outages (issue 31, service checks)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 23:30:00
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('availability_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('check_name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('checked_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('response_ms', sa.Float(), nullable=True),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_results'))
    )
    with op.batch_alter_table('availability_results') as batch:
        batch.create_index('ix_availability_results_service_check_at', ['service', 'check_name', 'checked_at'],
                           unique=False)
        batch.create_index('ix_availability_results_checked_at', ['checked_at'], unique=False)
    op.create_table('availability_hourly',
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('check_name', sa.String(length=64), nullable=False),
    sa.Column('hour', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('degraded', sa.Integer(), nullable=False),
    sa.Column('response_ms_sum', sa.Float(), nullable=False),
    sa.Column('response_ms_count', sa.Integer(), nullable=False),
    sa.Column('response_ms_max', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('service', 'check_name', 'hour', name=op.f('pk_availability_hourly'))
    )
    op.create_table('availability_check_states',
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('check_name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('last_outcome', sa.String(length=16), nullable=False),
    sa.Column('last_detail', sa.String(length=300), nullable=False),
    sa.Column('last_response_ms', sa.Float(), nullable=True),
    sa.Column('last_checked_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('next_due_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('certificate_warned_days', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('service', 'check_name', name=op.f('pk_availability_check_states'))
    )
    op.create_table('availability_service_states',
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('since', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('cause', sa.String(length=140), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('updated_at', console.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('service', name=op.f('pk_availability_service_states'))
    )
    op.create_table('availability_outages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('started_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('ended_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('cause', sa.String(length=140), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_outages'))
    )
    with op.batch_alter_table('availability_outages') as batch:
        batch.create_index('ix_availability_outages_service_started', ['service', 'started_at'], unique=False)
        batch.create_index('ix_availability_outages_ended_at', ['ended_at'], unique=False)


def downgrade() -> None:
    op.drop_table('availability_outages')
    op.drop_table('availability_service_states')
    op.drop_table('availability_check_states')
    op.drop_table('availability_hourly')
    op.drop_table('availability_results')
