"""lynis_runs.test_groups: the Lynis test groups a run audited ([agent] lynis_groups; empty: all of them)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 19:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lynis_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test_groups', sa.String(length=500), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('lynis_runs', schema=None) as batch_op:
        batch_op.drop_column('test_groups')
