"""Monitors' recheck_delay

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Seconds between probes of a suspect member in every region until its verdict
settles; existing monitors get the default, 1 s (every delay is at least 1 s).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('monitors') as batch:
        batch.add_column(sa.Column('recheck_delay', sa.Float(), nullable=False,
                                   server_default=sa.text('1.0')))


def downgrade() -> None:
    with op.batch_alter_table('monitors') as batch:
        batch.drop_column('recheck_delay')
