"""Quotas per project

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

One row per project whose quotas an admin set (null columns: the deployment's
defaults); creates lock it before counting.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'quotas',
        sa.Column('project_id', sa.String(64), primary_key=True),
        *(sa.Column(name, sa.Integer(), nullable=True)
          for name in ('gslbs', 'pools', 'members', 'monitors', 'webhooks')),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('quotas')
