"""Partial indexes for the circuit breaker

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

The breaker's summary (``breaker.view``), read at every engine cycle that moves members,
looks through the whole deployment for members OFFLINE, health rows whose last probe
failed lately and GSLBs HELD. Without an index it read every member, health row and
GSLB: at 10,000 GSLBs with nothing down, 23 ms a cycle, against 3 with these. Each
index holds only the rows it names, so it is empty, and costs no write, while all is well.
Each indexes an id, never rewritten: PostgreSQL does not update a row in place (HOT) when
a column of any of its indexes changes, predicate or not, and heartbeats rewrite
``last_checked_at`` on every row.

Built without CONCURRENTLY (as every migration here runs in a transaction): writes to
these three tables wait while each builds, under a second at 10,000 GSLBs.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# (name, table, column, rows kept)
INDEXES = (
    ("ix_pool_members_offline", "pool_members", "pool_id", "operating_status = 'OFFLINE'"),
    ("ix_health_states_failing", "health_states", "member_id", "last_ok IS false"),
    ("ix_gslbs_held", "gslbs", "id", "publish_status = 'HELD'"),
)


def upgrade() -> None:
    for name, table, column, where in INDEXES:
        op.create_index(name, table, [column], postgresql_where=sa.text(where),
                        sqlite_where=sa.text(where))


def downgrade() -> None:
    for name, table, _, _ in INDEXES:
        op.drop_index(name, table_name=table)
