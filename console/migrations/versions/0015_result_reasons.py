"""compliance results keep what their reason was made of, to show it in the reader's language (issue 17)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 15:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('compliance_results') as batch:
        batch.add_column(sa.Column('reason', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('compliance_results') as batch:
        batch.drop_column('reason')
