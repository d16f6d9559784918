"""Reading many health rows at once (the engine reads thousands per event).

pg8000 decodes every column in Python (timestamps through ``strptime``), so
on PostgreSQL the server builds the records as one JSON document and the
client decodes it in one ``json.loads``. Elsewhere plain rows are turned into
the same records.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from kosmos.conductor.db.models import HealthStateRow
from kosmos.contracts.health import HealthState

FIELDS = tuple(HealthState.model_fields)
_TIMES = ("last_checked_at", "verdict_changed_at")
CHUNK = 900

_PG_READ = text(
    "SELECT CAST(coalesce(json_agg(json_build_object("
    + ", ".join(f"'{f}', {f}" for f in FIELDS)
    + ") ORDER BY member_id, monitor_id, region), '[]') AS text) "
    "FROM health_states WHERE member_id = ANY(CAST(:ids AS varchar[]))")


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def read_states(session: Session, dialect: str, member_ids: list[str]) -> list[dict[str, Any]]:
    """HealthState records (JSON-ready) of these members, by (member, monitor, region)."""
    if not member_ids:
        return []
    if dialect == "postgresql":
        rows = json.loads(session.execute(_PG_READ, {"ids": list(member_ids)}).scalar_one())
        for row in rows:
            for key in _TIMES:  # naive UTC from the server: say so
                if row[key] is not None:
                    row[key] += "Z"
        return rows
    cols = [HealthStateRow.__table__.c[name] for name in FIELDS]
    out: list[dict[str, Any]] = []
    for i in range(0, len(member_ids), CHUNK):
        stmt = select(*cols).where(HealthStateRow.member_id.in_(member_ids[i:i + CHUNK])).order_by(
            HealthStateRow.member_id, HealthStateRow.monitor_id, HealthStateRow.region)
        for values in session.execute(stmt):
            row = dict(zip(FIELDS, values))
            for key in _TIMES:
                if row[key] is not None:
                    row[key] = _iso(row[key])
            out.append(row)
    return out
