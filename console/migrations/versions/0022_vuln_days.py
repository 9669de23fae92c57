"""vuln_days: the estate's vulnerability figures per day, the reports' trend (issue 34)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 20:00:00
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vuln_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.Column('fixable', sa.Integer(), nullable=False),
    sa.Column('high', sa.Integer(), nullable=False),
    sa.Column('hosts_affected', sa.Integer(), nullable=False),
    sa.Column('recorded_at', console.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_vuln_days'))
    )


def downgrade() -> None:
    op.drop_table('vuln_days')
