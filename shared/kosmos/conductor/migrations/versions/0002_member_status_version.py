"""Members: a status_version apart from the user's version

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The engine's compare-and-set on a member's health-derived status moves to
``pool_members.status_version``, so that a status change no longer bumps the
``version`` users send with their updates. Existing rows start at 1.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('pool_members',
                  sa.Column('status_version', sa.Integer(), server_default=sa.text('1'),
                            nullable=False))


def downgrade() -> None:
    # SQLite cannot drop a column in place everywhere: batch mode copies the table there
    with op.batch_alter_table('pool_members') as batch:
        batch.drop_column('status_version')
