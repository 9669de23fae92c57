"""endpoints from Kaspersky Security Center and unmanaged addresses (issue 18)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 14:00:00
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ksc_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('fqdn', sa.String(length=255), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('ksc_group', sa.String(length=255), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('host_name', sa.String(length=255), nullable=True),
    sa.Column('os_name', sa.String(length=255), nullable=False),
    sa.Column('nag_version', sa.String(length=64), nullable=False),
    sa.Column('av_version', sa.String(length=64), nullable=False),
    sa.Column('rtp_state', sa.Integer(), nullable=True),
    sa.Column('bases_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_visible_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('status_id', sa.Integer(), nullable=True),
    sa.Column('status_mask', sa.BigInteger(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('first_synced_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', console.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endpoints')),
    sa.UniqueConstraint('ksc_id', name=op.f('uq_endpoints_ksc_id'))
    )
    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.create_index('ix_endpoints_unit_state', ['unit', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_endpoints_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_endpoints_address'), ['address'], unique=False)
    op.create_table('endpoint_observations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('observed_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('rtp_state', sa.Integer(), nullable=True),
    sa.Column('bases_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_visible_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('status_id', sa.Integer(), nullable=True),
    sa.Column('status_mask', sa.BigInteger(), nullable=True),
    sa.Column('av_version', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_endpoint_observations_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endpoint_observations'))
    )
    with op.batch_alter_table('endpoint_observations', schema=None) as batch_op:
        batch_op.create_index('ix_endpoint_observations_endpoint_observed', ['endpoint_id', 'observed_at'], unique=False)
    op.create_table('endpoint_syncs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('host_count', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endpoint_syncs'))
    )
    op.create_table('seen_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('first_seen_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('sensor', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seen_addresses')),
    sa.UniqueConstraint('address', name=op.f('uq_seen_addresses_address'))
    )
    with op.batch_alter_table('seen_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_addresses_last_seen_at'), ['last_seen_at'], unique=False)
    op.create_table('address_feed_marks',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('last_event_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', console.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_address_feed_marks'))
    )


def downgrade() -> None:
    op.drop_table('address_feed_marks')
    with op.batch_alter_table('seen_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_addresses_last_seen_at'))
    op.drop_table('seen_addresses')
    op.drop_table('endpoint_syncs')
    with op.batch_alter_table('endpoint_observations', schema=None) as batch_op:
        batch_op.drop_index('ix_endpoint_observations_endpoint_observed')
    op.drop_table('endpoint_observations')
    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_endpoints_address'))
        batch_op.drop_index(batch_op.f('ix_endpoints_name'))
        batch_op.drop_index('ix_endpoints_unit_state')
    op.drop_table('endpoints')
