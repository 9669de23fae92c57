"""notifications: outbox and conditions (issue 16)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 11:13:46.125516
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notify_conditions',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('since', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', console.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_notify_conditions'))
    )
    op.create_table('notify_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('event_key', sa.String(length=255), nullable=False),
    sa.Column('throttle_key', sa.String(length=400), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('unit', sa.String(length=128), nullable=False),
    sa.Column('system', sa.String(length=128), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('subject', sa.String(length=400), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=1000), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.Column('event_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('claimed_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('sent_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_attempt_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=False),
    sa.Column('receipt', sa.String(length=255), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['digest_id'], ['notify_deliveries.id'], name=op.f('fk_notify_deliveries_digest_id_notify_deliveries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_deliveries'))
    )
    with op.batch_alter_table('notify_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_notify_deliveries_channel', ['channel', 'id'], unique=False)
        batch_op.create_index('ix_notify_deliveries_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_deliveries_digest_id'), ['digest_id'], unique=False)
        batch_op.create_index('ix_notify_deliveries_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_notify_deliveries_throttle', ['throttle_key', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notify_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_deliveries_throttle')
        batch_op.drop_index('ix_notify_deliveries_due')
        batch_op.drop_index(batch_op.f('ix_notify_deliveries_digest_id'))
        batch_op.drop_index('ix_notify_deliveries_created_at')
        batch_op.drop_index('ix_notify_deliveries_channel')

    op.drop_table('notify_deliveries')
    op.drop_table('notify_conditions')
