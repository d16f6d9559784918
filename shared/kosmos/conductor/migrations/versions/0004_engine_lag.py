"""Engine lag: how long each region's results waited for the engine

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

One row per checker region, overwritten by the engine every few seconds at
most; ``gslb.status`` shows it so a user sees when verdicts arrive late.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('engine_lag',
                    sa.Column('region', sa.String(length=255), nullable=False),
                    sa.Column('lag_s', sa.Float(), nullable=False),
                    sa.Column('stale_results', sa.Integer(), nullable=False),
                    sa.Column('observed_at', sa.DateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('region', name=op.f('pk_engine_lag')))


def downgrade() -> None:
    op.drop_table('engine_lag')
