"""Set-based statements for bulk writes (one statement for many rows).

pg8000's executemany is one round trip per row; SQLAlchemy's
"insertmanyvalues" turns an ``execute(insert(...), [rows])`` into multi-row
``INSERT ... VALUES (...), (...)`` pages instead, on both databases, with
``ON CONFLICT`` and ``RETURNING`` intact.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(dialect: str, table: Table) -> Any:
    """An INSERT that knows ``ON CONFLICT`` for this database."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"bulk writes support postgresql and sqlite, not {dialect}")
