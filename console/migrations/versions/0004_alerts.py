"""IDS alerts, groups, context events, counters, checkpoints

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-25 10:35:44.983616
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_context_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('sensor', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('flow_id', sa.BigInteger(), nullable=True),
    sa.Column('src_ip', sa.String(length=45), nullable=False),
    sa.Column('dest_ip', sa.String(length=45), nullable=False),
    sa.Column('record', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_context_events'))
    )
    with op.batch_alter_table('alert_context_events', schema=None) as batch_op:
        batch_op.create_index('ix_alert_context_events_event_at', ['event_at'], unique=False)
        batch_op.create_index('ix_alert_context_events_flow_id', ['flow_id'], unique=False)

    op.create_table('alert_event_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sensor', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('last_event_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_record', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_event_counters')),
    sa.UniqueConstraint('sensor', 'event_type', name='uq_alert_event_counters_sensor_type')
    )
    op.create_table('alert_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_key', sa.String(length=32), nullable=False),
    sa.Column('gid', sa.Integer(), nullable=False),
    sa.Column('sid', sa.BigInteger(), nullable=False),
    sa.Column('signature', sa.String(length=512), nullable=False),
    sa.Column('category', sa.String(length=255), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('src_ip', sa.String(length=45), nullable=False),
    sa.Column('dest_ip', sa.String(length=45), nullable=False),
    sa.Column('src_key', sa.String(length=32), nullable=False),
    sa.Column('dest_key', sa.String(length=32), nullable=False),
    sa.Column('first_seen', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_seen', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assignee', sa.String(length=64), nullable=False),
    sa.Column('false_positive', sa.Boolean(), nullable=False),
    sa.Column('fp_kind', sa.String(length=16), nullable=False),
    sa.Column('fp_proposal', sa.String(length=255), nullable=False),
    sa.Column('fp_status', sa.String(length=16), nullable=False),
    sa.Column('fp_message', sa.String(length=1000), nullable=False),
    sa.Column('fp_version', sa.Integer(), nullable=True),
    sa.Column('updated_at', console.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_groups')),
    sa.UniqueConstraint('group_key', name=op.f('uq_alert_groups_group_key'))
    )
    with op.batch_alter_table('alert_groups', schema=None) as batch_op:
        batch_op.create_index('ix_alert_groups_dest_key', ['dest_key'], unique=False)
        batch_op.create_index('ix_alert_groups_last_seen', ['last_seen', 'id'], unique=False)
        batch_op.create_index('ix_alert_groups_sid_last_seen', ['sid', 'last_seen', 'id'], unique=False)
        batch_op.create_index('ix_alert_groups_src_key', ['src_key'], unique=False)
        batch_op.create_index('ix_alert_groups_status_last_seen', ['status', 'last_seen', 'id'], unique=False)

    op.create_table('alert_ingest_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=600), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('device', sa.BigInteger(), nullable=False),
    sa.Column('inode', sa.BigInteger(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('fingerprint_bytes', sa.Integer(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('line_number', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', console.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_ingest_checkpoints')),
    sa.UniqueConstraint('source', name=op.f('uq_alert_ingest_checkpoints_source'))
    )
    op.create_table('alert_ingest_problems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=600), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('last_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_detail', sa.String(length=1000), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_ingest_problems')),
    sa.UniqueConstraint('source', 'kind', name='uq_alert_ingest_problems_source_kind')
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('sensor', sa.String(length=255), nullable=False),
    sa.Column('gid', sa.Integer(), nullable=False),
    sa.Column('sid', sa.BigInteger(), nullable=False),
    sa.Column('rev', sa.Integer(), nullable=False),
    sa.Column('signature', sa.String(length=512), nullable=False),
    sa.Column('category', sa.String(length=255), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('src_ip', sa.String(length=45), nullable=False),
    sa.Column('src_port', sa.Integer(), nullable=True),
    sa.Column('dest_ip', sa.String(length=45), nullable=False),
    sa.Column('dest_port', sa.Integer(), nullable=True),
    sa.Column('proto', sa.String(length=16), nullable=False),
    sa.Column('flow_id', sa.BigInteger(), nullable=True),
    sa.Column('app_proto', sa.String(length=32), nullable=False),
    sa.Column('group_key', sa.String(length=32), nullable=False),
    sa.Column('record', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_event_at', ['event_at'], unique=False)
        batch_op.create_index('ix_alerts_flow_id', ['flow_id'], unique=False)
        batch_op.create_index('ix_alerts_group_event', ['group_key', 'event_at'], unique=False)

    op.create_table('alert_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', console.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['alert_groups.id'], name=op.f('fk_alert_comments_group_id_alert_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_comments'))
    )
    with op.batch_alter_table('alert_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_comments_group_id'), ['group_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alert_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_comments_group_id'))

    op.drop_table('alert_comments')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_group_event')
        batch_op.drop_index('ix_alerts_flow_id')
        batch_op.drop_index('ix_alerts_event_at')

    op.drop_table('alerts')
    op.drop_table('alert_ingest_problems')
    op.drop_table('alert_ingest_checkpoints')
    with op.batch_alter_table('alert_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_groups_status_last_seen')
        batch_op.drop_index('ix_alert_groups_src_key')
        batch_op.drop_index('ix_alert_groups_sid_last_seen')
        batch_op.drop_index('ix_alert_groups_last_seen')
        batch_op.drop_index('ix_alert_groups_dest_key')

    op.drop_table('alert_groups')
    op.drop_table('alert_event_counters')
    with op.batch_alter_table('alert_context_events', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_context_events_flow_id')
        batch_op.drop_index('ix_alert_context_events_event_at')

    op.drop_table('alert_context_events')
