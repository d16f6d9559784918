"""Dead letters

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

Events the platform gave up delivering, kept for admins to read back.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dead_letters',
        sa.Column('id', sa.String(64), primary_key=True),
        sa.Column('event_id', sa.String(255), nullable=False),
        sa.Column('event_type', sa.String(255), nullable=False),
        sa.Column('source', sa.String(1024), nullable=False),
        sa.Column('subject', sa.String(1024), nullable=True),
        sa.Column('event_time', sa.String(64), nullable=True),
        sa.Column('destination', sa.String(2048), nullable=True),
        sa.Column('error_code', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(2048), nullable=True),
        sa.Column('data', sa.JSON(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_dead_letters_received', 'dead_letters', ['received_at'])


def downgrade() -> None:
    op.drop_index('ix_dead_letters_received', 'dead_letters')
    op.drop_table('dead_letters')
