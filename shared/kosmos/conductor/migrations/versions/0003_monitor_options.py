"""Monitors: options owned by their check plugin

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

A check plugin declares its own options model; a monitor stores what that
model validated in ``monitors.options`` (JSON). Existing monitors get ``{}``.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('monitors', sa.Column('options', sa.JSON(), server_default=sa.text("'{}'"),
                                        nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('monitors') as batch:
        batch.drop_column('options')
