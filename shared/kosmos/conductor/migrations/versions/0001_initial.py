"""Initial schema: resources, links, health states, history, tombstones

Revision ID: 0001
Revises:
Create Date: 2026-11-25

The tables of kosmos.conductor.db.models as first released.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gslb_tombstones',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('gslb_id', sa.String(length=36), nullable=False),
    sa.Column('fqdn', sa.String(length=255), nullable=False),
    sa.Column('zone_name', sa.String(length=255), nullable=False),
    sa.Column('appliance', sa.String(length=64), nullable=True),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gslb_tombstones'))
    )
    op.create_index(op.f('ix_gslb_tombstones_fqdn'), 'gslb_tombstones', ['fqdn'], unique=False)
    op.create_index(op.f('ix_gslb_tombstones_project_id'), 'gslb_tombstones', ['project_id'], unique=False)

    op.create_table('gslbs',
    sa.Column('fqdn', sa.String(length=255), nullable=False),
    sa.Column('zone_name', sa.String(length=255), nullable=False),
    sa.Column('ttl', sa.Integer(), nullable=False),
    sa.Column('all_down', sa.String(length=16), nullable=False),
    sa.Column('appliance', sa.String(length=64), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('answers_changed_at', sa.DateTime(), nullable=True),
    sa.Column('answer_reason', sa.String(length=2048), nullable=True),
    sa.Column('publish_status', sa.String(length=16), nullable=False),
    sa.Column('publish_reason', sa.String(length=2048), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1024), nullable=False),
    sa.Column('provisioning_status', sa.String(length=16), nullable=False),
    sa.Column('operating_status', sa.String(length=16), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gslbs')),
    sa.UniqueConstraint('fqdn', name=op.f('uq_gslbs_fqdn'))
    )
    op.create_index(op.f('ix_gslbs_project_id'), 'gslbs', ['project_id'], unique=False)

    op.create_table('history',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('gslb_id', sa.String(length=36), nullable=True),
    sa.Column('member_id', sa.String(length=36), nullable=True),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=255), nullable=False),
    sa.Column('time', sa.DateTime(), nullable=False),
    sa.Column('from_state', sa.String(length=64), nullable=True),
    sa.Column('to_state', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=True),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history')),
    sa.UniqueConstraint('dedupe_key', name='uq_history_dedupe_key')
    )
    op.create_index('ix_history_gslb_time', 'history', ['gslb_id', 'time'], unique=False)
    op.create_index('ix_history_member_time', 'history', ['member_id', 'time'], unique=False)
    op.create_index(op.f('ix_history_project_id'), 'history', ['project_id'], unique=False)
    op.create_index('ix_history_project_time', 'history', ['project_id', 'time'], unique=False)

    op.create_table('monitors',
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('delay', sa.Integer(), nullable=False),
    sa.Column('timeout', sa.Float(), nullable=False),
    sa.Column('max_retries', sa.Integer(), nullable=False),
    sa.Column('max_retries_down', sa.Integer(), nullable=False),
    sa.Column('port', sa.Integer(), nullable=True),
    sa.Column('http_method', sa.String(length=16), nullable=False),
    sa.Column('url_path', sa.String(length=2048), nullable=False),
    sa.Column('expected_codes', sa.JSON(), nullable=False),
    sa.Column('receive_string', sa.String(length=4096), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('ca_cert', sa.Text(), nullable=True),
    sa.Column('insecure', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1024), nullable=False),
    sa.Column('provisioning_status', sa.String(length=16), nullable=False),
    sa.Column('operating_status', sa.String(length=16), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitors'))
    )
    op.create_index(op.f('ix_monitors_project_id'), 'monitors', ['project_id'], unique=False)

    op.create_table('pools',
    sa.Column('regions', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1024), nullable=False),
    sa.Column('provisioning_status', sa.String(length=16), nullable=False),
    sa.Column('operating_status', sa.String(length=16), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pools'))
    )
    op.create_index(op.f('ix_pools_project_id'), 'pools', ['project_id'], unique=False)

    op.create_table('gslb_pools',
    sa.Column('gslb_id', sa.String(length=36), nullable=False),
    sa.Column('pool_id', sa.String(length=36), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['gslb_id'], ['gslbs.id'], name=op.f('fk_gslb_pools_gslb_id_gslbs')),
    sa.ForeignKeyConstraint(['pool_id'], ['pools.id'], name=op.f('fk_gslb_pools_pool_id_pools')),
    sa.PrimaryKeyConstraint('gslb_id', 'pool_id', name=op.f('pk_gslb_pools'))
    )
    op.create_index(op.f('ix_gslb_pools_pool_id'), 'gslb_pools', ['pool_id'], unique=False)
    op.create_index(op.f('ix_gslb_pools_project_id'), 'gslb_pools', ['project_id'], unique=False)

    op.create_table('pool_members',
    sa.Column('pool_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=255), nullable=True),
    sa.Column('neutron_id', sa.String(length=36), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('endpoints', sa.JSON(), nullable=False),
    sa.Column('endpoints_status', sa.String(length=16), nullable=False),
    sa.Column('endpoints_reason', sa.String(length=1024), nullable=True),
    sa.Column('endpoints_updated_at', sa.DateTime(), nullable=True),
    sa.Column('status_reason', sa.String(length=2048), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1024), nullable=False),
    sa.Column('provisioning_status', sa.String(length=16), nullable=False),
    sa.Column('operating_status', sa.String(length=16), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pool_id'], ['pools.id'], name=op.f('fk_pool_members_pool_id_pools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_members'))
    )
    op.create_index(op.f('ix_pool_members_pool_id'), 'pool_members', ['pool_id'], unique=False)
    op.create_index(op.f('ix_pool_members_project_id'), 'pool_members', ['project_id'], unique=False)

    op.create_table('pool_monitors',
    sa.Column('pool_id', sa.String(length=36), nullable=False),
    sa.Column('monitor_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['monitor_id'], ['monitors.id'], name=op.f('fk_pool_monitors_monitor_id_monitors')),
    sa.ForeignKeyConstraint(['pool_id'], ['pools.id'], name=op.f('fk_pool_monitors_pool_id_pools')),
    sa.PrimaryKeyConstraint('pool_id', 'monitor_id', name=op.f('pk_pool_monitors'))
    )
    op.create_index(op.f('ix_pool_monitors_monitor_id'), 'pool_monitors', ['monitor_id'], unique=False)
    op.create_index(op.f('ix_pool_monitors_project_id'), 'pool_monitors', ['project_id'], unique=False)

    op.create_table('health_states',
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('monitor_id', sa.String(length=36), nullable=False),
    sa.Column('region', sa.String(length=255), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('consecutive_ok', sa.Integer(), nullable=False),
    sa.Column('consecutive_fail', sa.Integer(), nullable=False),
    sa.Column('last_ok', sa.Boolean(), nullable=True),
    sa.Column('last_reason', sa.String(length=1024), nullable=True),
    sa.Column('last_latency_ms', sa.Float(), nullable=True),
    sa.Column('last_checked_at', sa.DateTime(), nullable=True),
    sa.Column('verdict_changed_at', sa.DateTime(), nullable=True),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['pool_members.id'], name=op.f('fk_health_states_member_id_pool_members')),
    sa.ForeignKeyConstraint(['monitor_id'], ['monitors.id'], name=op.f('fk_health_states_monitor_id_monitors')),
    sa.PrimaryKeyConstraint('member_id', 'monitor_id', 'region', name=op.f('pk_health_states'))
    )
    op.create_index(op.f('ix_health_states_monitor_id'), 'health_states', ['monitor_id'], unique=False)
    op.create_index(op.f('ix_health_states_project_id'), 'health_states', ['project_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_health_states_project_id'), table_name='health_states')
    op.drop_index(op.f('ix_health_states_monitor_id'), table_name='health_states')

    op.drop_table('health_states')
    op.drop_index(op.f('ix_pool_monitors_project_id'), table_name='pool_monitors')
    op.drop_index(op.f('ix_pool_monitors_monitor_id'), table_name='pool_monitors')

    op.drop_table('pool_monitors')
    op.drop_index(op.f('ix_pool_members_project_id'), table_name='pool_members')
    op.drop_index(op.f('ix_pool_members_pool_id'), table_name='pool_members')

    op.drop_table('pool_members')
    op.drop_index(op.f('ix_gslb_pools_project_id'), table_name='gslb_pools')
    op.drop_index(op.f('ix_gslb_pools_pool_id'), table_name='gslb_pools')

    op.drop_table('gslb_pools')
    op.drop_index(op.f('ix_pools_project_id'), table_name='pools')

    op.drop_table('pools')
    op.drop_index(op.f('ix_monitors_project_id'), table_name='monitors')

    op.drop_table('monitors')
    op.drop_index('ix_history_project_time', table_name='history')
    op.drop_index(op.f('ix_history_project_id'), table_name='history')
    op.drop_index('ix_history_member_time', table_name='history')
    op.drop_index('ix_history_gslb_time', table_name='history')

    op.drop_table('history')
    op.drop_index(op.f('ix_gslbs_project_id'), table_name='gslbs')

    op.drop_table('gslbs')
    op.drop_index(op.f('ix_gslb_tombstones_project_id'), table_name='gslb_tombstones')
    op.drop_index(op.f('ix_gslb_tombstones_fqdn'), table_name='gslb_tombstones')

    op.drop_table('gslb_tombstones')
