"""vulns: hosts' installed packages, Debian security tracker data per release and source package, matches, waivers (issue 34)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 02:45:00
"""
from alembic import op
import sqlalchemy as sa
import console.models.base


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vuln_cves',
    sa.Column('cve', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('debianbug', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('cve', name=op.f('pk_vuln_cves'))
    )
    op.create_table('vuln_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('imported_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('data_date', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('origin', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('package_count', sa.Integer(), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('changes', sa.Integer(), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.Column('stale_notified_at', console.models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vuln_imports'))
    )
    op.create_table('vuln_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=128), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vuln_sources')),
    sa.UniqueConstraint('release', 'source', name='uq_vuln_sources_release_source')
    )
    op.create_table('host_packages',
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('release', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('package_count', sa.Integer(), nullable=False),
    sa.Column('packages', sa.JSON(), nullable=False),
    sa.Column('listed_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('reported_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('reported_digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], name=op.f('fk_host_packages_host_id_hosts')),
    sa.PrimaryKeyConstraint('host_id', name=op.f('pk_host_packages'))
    )
    op.create_table('host_vulns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('cve', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=128), nullable=False),
    sa.Column('installed', sa.String(length=128), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('fixed_version', sa.String(length=128), nullable=False),
    sa.Column('urgency', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('first_seen_at', console.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], name=op.f('fk_host_vulns_host_id_hosts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_vulns'))
    )
    with op.batch_alter_table('host_vulns', schema=None) as batch_op:
        batch_op.create_index('ix_host_vulns_cve', ['cve'], unique=False)
        batch_op.create_index('ix_host_vulns_host', ['host_id'], unique=False)

    op.create_table('vuln_waivers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('cve', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('expires_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', console.models.base.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', console.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], name=op.f('fk_vuln_waivers_host_id_hosts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vuln_waivers'))
    )
    with op.batch_alter_table('vuln_waivers', schema=None) as batch_op:
        batch_op.create_index('ix_vuln_waivers_host_cve', ['host_id', 'cve'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('vuln_waivers', schema=None) as batch_op:
        batch_op.drop_index('ix_vuln_waivers_host_cve')

    op.drop_table('vuln_waivers')
    with op.batch_alter_table('host_vulns', schema=None) as batch_op:
        batch_op.drop_index('ix_host_vulns_host')
        batch_op.drop_index('ix_host_vulns_cve')

    op.drop_table('host_vulns')
    op.drop_table('host_packages')
    op.drop_table('vuln_sources')
    op.drop_table('vuln_imports')
    op.drop_table('vuln_cves')
