"""The set-based compare-and-set of many health rows at once.

Both functions take rows ``{member_id, monitor_id, region, verdict, ...,
expected_version}`` and return ``(valid, written, missing)``:

- ``valid``: rows whose member and monitor exist in the caller's scope (a
  member deleted since the engine read it has no health to keep);
- ``written``: rows inserted or updated;
- ``missing``: rows with an ``expected_version`` that have no stored row.

The caller raises StaleVersion unless ``written == valid and missing == 0``,
which rolls the transaction back. A row with ``expected_version`` None is
stored at version 1 and must not exist; otherwise it is stored at
``expected_version + 1`` only if the stored row is at ``expected_version``:
``ON CONFLICT DO UPDATE ... WHERE health_states.version = excluded.version - 1``.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, select, text, tuple_, update
from sqlalchemy.orm import Session

from kosmos.conductor.db.bulk import insert_for
from kosmos.conductor.db.models import HealthStateRow, MemberRow, MonitorRow

STATE_COLUMNS = ("verdict", "consecutive_ok", "consecutive_fail", "last_ok", "last_reason",
                 "last_latency_ms", "last_checked_at", "verdict_changed_at")
CHUNK = 900

# pg8000 rewrites placeholders in Python, character by character, and the server
# plans every parameter: 1,000 rows of 14 columns as VALUES cost more than the
# write. One JSON parameter unpacked by the server keeps the statement short.
_PG_UPSERT = text("""
WITH input AS (
    SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS x(
        member_id varchar, monitor_id varchar, region varchar, verdict varchar,
        consecutive_ok int, consecutive_fail int, last_ok boolean, last_reason varchar,
        last_latency_ms float8, last_checked_at timestamp, verdict_changed_at timestamp,
        expected_version int)
), valid AS (
    SELECT i.*, m.project_id FROM input i
    JOIN pool_members m ON m.id = i.member_id
    JOIN monitors mo ON mo.id = i.monitor_id
    WHERE (CAST(:project AS varchar) IS NULL OR m.project_id = CAST(:project AS varchar))
), written AS (
    INSERT INTO health_states (member_id, monitor_id, region, project_id, verdict,
        consecutive_ok, consecutive_fail, last_ok, last_reason, last_latency_ms,
        last_checked_at, verdict_changed_at, version, created_at, updated_at)
    SELECT member_id, monitor_id, region, project_id, verdict, consecutive_ok,
        consecutive_fail, last_ok, last_reason, last_latency_ms, last_checked_at,
        verdict_changed_at, COALESCE(expected_version, 0) + 1, :now, :now
    FROM valid ORDER BY member_id, monitor_id, region
    ON CONFLICT (member_id, monitor_id, region) DO UPDATE SET
        verdict = excluded.verdict, consecutive_ok = excluded.consecutive_ok,
        consecutive_fail = excluded.consecutive_fail, last_ok = excluded.last_ok,
        last_reason = excluded.last_reason, last_latency_ms = excluded.last_latency_ms,
        last_checked_at = excluded.last_checked_at,
        verdict_changed_at = excluded.verdict_changed_at,
        version = excluded.version, updated_at = excluded.updated_at
    WHERE health_states.version = excluded.version - 1
    -- xmax = 0 marks a row this statement inserted; inserted above version 1 means the
    -- caller expected a stored row that was not there.
    RETURNING (xmax = 0 AND version > 1) AS was_missing
)
SELECT (SELECT count(*) FROM valid), (SELECT count(*) FROM written),
       (SELECT count(*) FROM written WHERE was_missing)
""")


def _naive_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat()


def upsert_postgres(session: Session, rows: list[dict[str, Any]], project: str | None,
                    now: datetime) -> tuple[int, int, int]:
    """One statement, one round trip, for any number of rows."""
    payload = [{**r, "last_checked_at": _naive_utc(r["last_checked_at"]),
                "verdict_changed_at": _naive_utc(r["verdict_changed_at"])} for r in rows]
    valid, written, missing = session.execute(_PG_UPSERT, {
        "rows": json.dumps(payload), "project": project,
        "now": now.astimezone(timezone.utc).replace(tzinfo=None)}).one()
    return int(valid), int(written), int(missing)


def upsert_portable(session: Session, dialect: str, rows: list[dict[str, Any]],
                    project: str | None, now: datetime) -> tuple[int, int, int]:
    """The same with a few statements (SQLite: every statement is in-process and cheap)."""
    owners = _owners(session, rows, project)
    monitors = _ids(session, MonitorRow.id, {r["monitor_id"] for r in rows})
    rows = [r for r in rows if r["member_id"] in owners and r["monitor_id"] in monitors]
    if not rows:
        return 0, 0, 0
    keys = [(r["member_id"], r["monitor_id"], r["region"]) for r in rows
            if r["expected_version"] is not None]
    stored = 0
    key_col = tuple_(HealthStateRow.member_id, HealthStateRow.monitor_id, HealthStateRow.region)
    for i in range(0, len(keys), CHUNK):
        stored += len(session.execute(select(HealthStateRow.version).where(
            key_col.in_(keys[i:i + CHUNK]))).all())
    values = [{**{c: r[c] for c in STATE_COLUMNS}, "member_id": r["member_id"],
               "monitor_id": r["monitor_id"], "region": r["region"],
               "project_id": owners[r["member_id"]], "version": (r["expected_version"] or 0) + 1,
               "created_at": now, "updated_at": now}
              for r in sorted(rows, key=lambda r: (r["member_id"], r["monitor_id"], r["region"]))]
    table = HealthStateRow.__table__
    stmt = insert_for(dialect, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["member_id", "monitor_id", "region"],
        set_={**{c: stmt.excluded[c] for c in STATE_COLUMNS},
              "version": stmt.excluded.version, "updated_at": stmt.excluded.updated_at},
        where=table.c.version == stmt.excluded.version - 1,
    ).returning(table.c.member_id)
    written = len(session.execute(stmt, values).all())
    return len(rows), written, len(keys) - stored


def _owners(session: Session, rows: list[dict[str, Any]], project: str | None) -> dict[str, str]:
    ids = sorted({r["member_id"] for r in rows})
    out: dict[str, str] = {}
    for i in range(0, len(ids), CHUNK):
        stmt = select(MemberRow.id, MemberRow.project_id).where(MemberRow.id.in_(ids[i:i + CHUNK]))
        if project is not None:
            stmt = stmt.where(MemberRow.project_id == project)
        out.update({mid: pid for mid, pid in session.execute(stmt)})
    return out


def _ids(session: Session, column: Any, wanted: set[str]) -> set[str]:
    ids, found = sorted(wanted), set()
    for i in range(0, len(ids), CHUNK):
        found.update(session.scalars(select(column).where(column.in_(ids[i:i + CHUNK]))))
    return found


# Rows locked in key order before they are updated: two writers of overlapping rows
# then wait for each other instead of deadlocking.
_PG_HEARTBEAT = text("""
WITH input AS (
    SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS x(
        member_id varchar, monitor_id varchar, version int, last_checked_at timestamp,
        last_reason varchar, last_latency_ms float8)
), locked AS (
    SELECT i.* FROM health_states h
    JOIN input i ON h.member_id = i.member_id AND h.monitor_id = i.monitor_id
    WHERE h.region = :region AND h.version = i.version
      AND (CAST(:project AS varchar) IS NULL OR h.project_id = CAST(:project AS varchar))
    ORDER BY h.member_id, h.monitor_id
    FOR UPDATE OF h
), written AS (
    UPDATE health_states h SET last_checked_at = l.last_checked_at,
        last_reason = l.last_reason, last_latency_ms = l.last_latency_ms,
        version = h.version + 1, updated_at = :now
    FROM locked l
    WHERE h.member_id = l.member_id AND h.monitor_id = l.monitor_id AND h.region = :region
      AND h.version = l.version
    RETURNING 1
)
SELECT count(*) FROM written
""")


def heartbeat_postgres(session: Session, region: str, rows: list[dict[str, Any]],
                       project: str | None, now: datetime) -> int:
    """Rewrite the freshness columns of rows still at their version; how many were."""
    payload = [{**r, "last_checked_at": _naive_utc(r["last_checked_at"])} for r in rows]
    return int(session.execute(_PG_HEARTBEAT, {
        "rows": json.dumps(payload), "region": region, "project": project,
        "now": now.astimezone(timezone.utc).replace(tzinfo=None)}).scalar_one())


def heartbeat_portable(session: Session, region: str, rows: list[dict[str, Any]],
                       project: str | None, now: datetime) -> int:
    """The same as one executemany (SQLite: one writer at a time, no lock order)."""
    t = HealthStateRow.__table__
    where = [t.c.member_id == bindparam("b_member"), t.c.monitor_id == bindparam("b_monitor"),
             t.c.region == region, t.c.version == bindparam("b_version")]
    if project is not None:
        where.append(t.c.project_id == project)
    stmt = update(t).where(*where).values(
        last_checked_at=bindparam("b_checked"), last_reason=bindparam("b_reason"),
        last_latency_ms=bindparam("b_latency"), version=t.c.version + 1, updated_at=now)
    return session.execute(stmt, [
        {"b_member": r["member_id"], "b_monitor": r["monitor_id"], "b_version": r["version"],
         "b_checked": r["last_checked_at"], "b_reason": r["last_reason"],
         "b_latency": r["last_latency_ms"]} for r in rows]).rowcount
