"""Webhooks and their deliveries

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

A project's webhooks, and one delivery row per event per webhook, written in
the transaction that stores the change (an outbox), retried until delivered
or given up.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _stamped() -> list[sa.Column]:
    return [sa.Column('project_id', sa.String(length=64), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('updated_at', sa.DateTime(), nullable=False),
            sa.Column('version', sa.Integer(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        'webhooks',
        sa.Column('url', sa.String(length=2048), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('secret', sa.String(length=256), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('description', sa.String(length=1024), nullable=False),
        sa.Column('provisioning_status', sa.String(length=16), nullable=False),
        sa.Column('operating_status', sa.String(length=16), nullable=False),
        *_stamped(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks')))
    op.create_index(op.f('ix_webhooks_project_id'), 'webhooks', ['project_id'])
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('webhook_id', sa.String(length=36), nullable=False),
        sa.Column('event_type', sa.String(length=64), nullable=False),
        sa.Column('subject', sa.String(length=64), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=1024), nullable=True),
        sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        *_stamped(),
        sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], ondelete='CASCADE',
                                name=op.f('fk_webhook_deliveries_webhook_id_webhooks')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')))
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['status', 'next_attempt_at'])
    op.create_index('ix_webhook_deliveries_webhook_created', 'webhook_deliveries',
                    ['webhook_id', 'created_at'])
    op.create_index(op.f('ix_webhook_deliveries_project_id'), 'webhook_deliveries', ['project_id'])


def downgrade() -> None:
    op.drop_table('webhook_deliveries')
    op.drop_table('webhooks')
