"""agents, enrolment tokens and host reports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 07:23:12.968289
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('enrollment_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('host_name', sa.String(length=255), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('revoked_at', console.models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_enrollment_tokens_token_hash'))
    )
    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('agent_version', sa.String(length=32), nullable=False),
    sa.Column('enrolled_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('enrolled_from', sa.String(length=64), nullable=False),
    sa.Column('revoked_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_seen_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('interval_seconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], name=op.f('fk_agents_host_id_hosts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('uid', name=op.f('uq_agents_uid'))
    )
    op.create_table('host_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('collected_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('received_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('cpu_percent', sa.Float(), nullable=True),
    sa.Column('memory_percent', sa.Float(), nullable=True),
    sa.Column('disk_max_percent', sa.Float(), nullable=True),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_host_reports_agent_id_agents')),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], name=op.f('fk_host_reports_host_id_hosts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_reports')),
    sa.UniqueConstraint('report_id', name=op.f('uq_host_reports_report_id'))
    )
    with op.batch_alter_table('host_reports', schema=None) as batch_op:
        batch_op.create_index('ix_host_reports_host_collected', ['host_id', 'collected_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('host_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_host_reports_host_collected')

    op.drop_table('host_reports')
    op.drop_table('agents')
    op.drop_table('enrollment_tokens')
