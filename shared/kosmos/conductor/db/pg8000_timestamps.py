"""Read PostgreSQL's timestamps with ``datetime.fromisoformat``, not ``strptime``.

pg8000 parses every ``timestamp``/``timestamptz`` value it reads with
``datetime.strptime``: about a tenth of the conductor's CPU on a list of a few
dozen records (each carries created/updated times). PostgreSQL's text output
(``2026-12-03 10:41:00.123456+00``) is ISO 8601, which ``fromisoformat``
reads in C; anything it does not take (``infinity``, years past 9999, BC dates)
goes to pg8000's own parser, so every value reads as it did before.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

TIMESTAMP, TIMESTAMPTZ = 1114, 1184   # PostgreSQL's type oids


def _fast(original: Callable[[str], Any]) -> Callable[[str], Any]:
    def read(data: str) -> Any:
        try:
            return datetime.fromisoformat(data)
        except ValueError:
            return original(data)
    read.kosmos_fast = True   # type: ignore[attr-defined]
    return read


def register(dbapi_conn: Any) -> bool:
    """Install the readers on a pg8000 connection; False when it is not one."""
    types = getattr(dbapi_conn, "pg_types", None)
    register_in = getattr(dbapi_conn, "register_in_adapter", None)
    if types is None or register_in is None:
        return False
    for oid in (TIMESTAMP, TIMESTAMPTZ):
        current = types[oid]
        if not getattr(current, "kosmos_fast", False):
            register_in(oid, _fast(current))
    return True
