"""Inline sensors (issue 32): alerts.action and alert_groups.blocked_count (what the sensor did with an
alert), rule_deploy_approvals (a drop that would block inventory hosts waits for a second person)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 03:00:00
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts') as batch:
        batch.add_column(sa.Column('action', sa.String(16), nullable=False, server_default='allowed'))
    with op.batch_alter_table('alert_groups') as batch:
        batch.add_column(sa.Column('blocked_count', sa.BigInteger(), nullable=False, server_default='0'))
    op.create_table(
        'rule_deploy_approvals',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('version_number', sa.Integer(), nullable=False),
        sa.Column('sensor', sa.String(64), nullable=False),
        sa.Column('requested_by', sa.String(64), nullable=False),
        sa.Column('requested_at', console.models.base.UTCDateTime(), nullable=False),
        sa.Column('alerts', sa.Integer(), nullable=False),
        sa.Column('hosts', sa.JSON(), nullable=False),
        sa.Column('approved_by', sa.String(64), nullable=False),
        sa.Column('approved_at', console.models.base.UTCDateTime(), nullable=True),
        sa.UniqueConstraint('version_number', 'sensor', name='uq_rule_deploy_approvals_version_sensor'),
    )


def downgrade() -> None:
    op.drop_table('rule_deploy_approvals')
    with op.batch_alter_table('alert_groups') as batch:
        batch.drop_column('blocked_count')
    with op.batch_alter_table('alerts') as batch:
        batch.drop_column('action')
