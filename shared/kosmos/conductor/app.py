"""Builds the conductor's handler from settings (its composition root).

Nothing connects here: the engine is created and the schema upgraded (when
``database_auto_migrate``) on the first call, then reused while warm.
"""
from __future__ import annotations

from kosmos.conductor.db.session import Database
from kosmos.conductor.dispatch import Handler, make_handler
from kosmos.config import Settings, get_settings


def build_handler(database_url: str | None = None, settings: Settings | None = None,
                  *, auto_migrate: bool | None = None) -> Handler:
    """The handler ``(envelope) -> (status, body)`` on ``database_url`` (default: settings)."""
    s = settings or get_settings()
    database = Database(
        database_url or s.database_url, pool_size=s.database_pool_size,
        auto_migrate=s.database_auto_migrate if auto_migrate is None else auto_migrate)
    return make_handler(database, stale_intervals=s.stale_intervals)
