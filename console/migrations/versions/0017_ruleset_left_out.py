"""ruleset_versions.left_out: the source lines a version was built without (issue 29)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 20:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ruleset_versions') as batch:
        batch.add_column(sa.Column('left_out', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('ruleset_versions') as batch:
        batch.drop_column('left_out')
