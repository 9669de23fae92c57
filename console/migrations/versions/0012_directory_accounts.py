"""directory sign-in: accounts from LDAP/AD (issue 20)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 14:00:00
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        # every account that exists before directory sign-in is a local one
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False, server_default='local'))
        batch_op.add_column(sa.Column('directory_dn', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('directory_checked_at', console.models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('directory_checked_at')
        batch_op.drop_column('directory_dn')
        batch_op.drop_column('source')
