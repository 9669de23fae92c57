"""remediations.cve: a CVE's Fix with Ansible (issue 34); empty for a control's remediation

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 20:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('remediations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cve', sa.String(length=32), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('remediations', schema=None) as batch_op:
        batch_op.drop_column('cve')
