"""devices polled by connectors and their states

Revision ID: 0005
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('connector', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('host_names', sa.JSON(), nullable=False),
    sa.Column('interval_seconds', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('created_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_polled_at', console.models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('name', name=op.f('uq_devices_name'))
    )
    op.create_table('device_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('collected_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_states_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_states'))
    )
    with op.batch_alter_table('device_states', schema=None) as batch_op:
        batch_op.create_index('ix_device_states_device_collected', ['device_id', 'collected_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('device_states', schema=None) as batch_op:
        batch_op.drop_index('ix_device_states_device_collected')

    op.drop_table('device_states')
    op.drop_table('devices')
