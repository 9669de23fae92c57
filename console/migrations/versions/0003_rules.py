"""ruleset versions, changes, deployments and test runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:39:32.969320
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rule_deployments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sensor', sa.String(length=64), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('deployed_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('deployed_by', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rules_loaded', sa.Integer(), nullable=True),
    sa.Column('rules_failed', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=1024), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_deployments'))
    )
    with op.batch_alter_table('rule_deployments', schema=None) as batch_op:
        batch_op.create_index('ix_rule_deployments_sensor_id', ['sensor', 'id'], unique=False)

    op.create_table('rule_test_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.Column('ran_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('ran_by', sa.String(length=64), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_test_runs'))
    )
    op.create_table('ruleset_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('built_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('built_by', sa.String(length=64), nullable=False),
    sa.Column('rules_total', sa.Integer(), nullable=False),
    sa.Column('rules_enabled', sa.Integer(), nullable=False),
    sa.Column('rules_added', sa.Integer(), nullable=False),
    sa.Column('rules_removed', sa.Integer(), nullable=False),
    sa.Column('rules_modified', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('activated_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=False),
    sa.Column('messages', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ruleset_versions')),
    sa.UniqueConstraint('number', name=op.f('uq_ruleset_versions_number'))
    )
    op.create_table('ruleset_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('gid', sa.Integer(), nullable=False),
    sa.Column('sid', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('msg', sa.String(length=512), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['ruleset_versions.id'], name=op.f('fk_ruleset_changes_version_id_ruleset_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ruleset_changes'))
    )
    with op.batch_alter_table('ruleset_changes', schema=None) as batch_op:
        batch_op.create_index('ix_ruleset_changes_version_sid', ['version_id', 'sid'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ruleset_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_ruleset_changes_version_sid')

    op.drop_table('ruleset_changes')
    op.drop_table('ruleset_versions')
    op.drop_table('rule_test_runs')
    with op.batch_alter_table('rule_deployments', schema=None) as batch_op:
        batch_op.drop_index('ix_rule_deployments_sensor_id')

    op.drop_table('rule_deployments')
