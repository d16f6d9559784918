"""History by the time it was recorded

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

``history.list`` takes ``recorded_since``: the entries stored since a moment,
whatever the time of the change they record (a late results batch records
changes that happened a while ago). A follower of the history (the local
runner's log) asks for it often, so it is indexed.
"""
from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_history_created_at', 'history', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_history_created_at', table_name='history')
