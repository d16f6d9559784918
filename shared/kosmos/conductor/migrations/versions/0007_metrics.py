"""Metrics: deployment-wide counters and gauges

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Counters added to by every function instance (in the transaction of the
change they count, or flushed from an instance every few seconds) and gauges
they set; ``GET /metrics`` serves them in the Prometheus text format.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('metrics',
                    sa.Column('name', sa.String(length=64), nullable=False),
                    sa.Column('labels', sa.String(length=255), nullable=False),
                    sa.Column('kind', sa.String(length=8), nullable=False),
                    sa.Column('value', sa.Float(), nullable=False),
                    sa.Column('updated_at', sa.DateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('name', 'labels', name=op.f('pk_metrics')))


def downgrade() -> None:
    op.drop_table('metrics')
