"""Routing policies: GSLBs' routing, max_answers, slow_start and served route; pools'
client_subnets

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Existing GSLBs keep today's behaviour: PRIORITY, every address, no slow start.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): SQLite adds a column with a constant default in
    # place, and copying pools or gslbs would trip the foreign keys pointing at them.
    op.add_column('gslbs', sa.Column('routing', sa.String(16), nullable=False,
                                     server_default='PRIORITY'))
    op.add_column('gslbs', sa.Column('max_answers', sa.Integer(), nullable=True))
    op.add_column('gslbs', sa.Column('slow_start', sa.Integer(), nullable=False,
                                     server_default=sa.text('0')))
    op.add_column('gslbs', sa.Column('answer_route', sa.JSON(), nullable=True))
    op.add_column('pools', sa.Column('client_subnets', sa.JSON(), nullable=False,
                                     server_default=sa.text("'[]'")))


def downgrade() -> None:
    # DROP COLUMN in place as well (SQLite 3.35+), for the same foreign keys.
    for table, column in (('pools', 'client_subnets'), ('gslbs', 'answer_route'),
                          ('gslbs', 'slow_start'), ('gslbs', 'max_answers'), ('gslbs', 'routing')):
        op.execute(sa.text(f'ALTER TABLE {table} DROP COLUMN {column}'))
