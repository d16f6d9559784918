"""Reading many rows by id at once, as contract records (the engine reads thousands per
event, through ``engine.context``).

pg8000 does everything in Python: it rewrites every ``%s`` placeholder of a
statement character by character, escapes an array parameter character by
character, and decodes every column (timestamps through ``strptime``). So on
PostgreSQL the ids go in as one JSON text parameter, and the server builds
the rows as one JSON document (of arrays) that the client decodes in one
``json.loads``: a few milliseconds for a thousand rows instead of ~50.
Elsewhere plain rows are turned into the same records.

The records carry the columns named in ``fields`` under the same names;
timestamps (naive UTC in the database) come out as ISO 8601 with ``Z``, the
form ``model_dump(mode="json")`` gives.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import DateTime, Table, select, text
from sqlalchemy.orm import Session

from kosmos.contracts.common import iso
from kosmos.conductor.db.models import (GslbPoolRow, GslbRow, HealthStateRow, MemberRow,
                                        MonitorRow, PoolMonitorRow, PoolRow)
from kosmos.contracts.health import HealthState
from kosmos.contracts.resources import Gslb, Member, Monitor, Pool

CHUNK = 900
STATE_FIELDS = tuple(HealthState.model_fields)
MEMBER_FIELDS = tuple(Member.model_fields)
MONITOR_FIELDS = tuple(Monitor.model_fields)
POOL_FIELDS = tuple(f for f in Pool.model_fields if f != "monitor_ids")
GSLB_FIELDS = tuple(f for f in Gslb.model_fields if f not in ("pools", "failover_time"))
#: the engine's trees also carry the route served with the answers (not in the REST record)
TREE_GSLB_FIELDS = (*GSLB_FIELDS, "answer_route")
STATE_ORDER = ("member_id", "monitor_id", "region")
POOL_LINK_FIELDS, POOL_LINK_ORDER = ("pool_id", "monitor_id"), ("pool_id", "position")
GSLB_LINK_FIELDS = ("gslb_id", "pool_id", "priority")
GSLB_LINK_ORDER = ("gslb_id", "priority", "position")


def _is_time(column: Any) -> bool:
    kind = column.type
    return isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime)


def _times(table: Table, fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in fields if _is_time(table.c[f]))


def from_arrays(table: Table, fields: tuple[str, ...], arrays: list[list[Any]],
                ) -> list[dict[str, Any]]:
    """Records from the server's ``json_build_array(fields...)`` rows."""
    rows = [dict(zip(fields, values)) for values in arrays]
    for name in _times(table, fields):
        for row in rows:  # naive UTC from the server: say so
            if row[name] is not None:
                row[name] += "Z"
    return rows


def read_by_key(session: Session, dialect: str, table: Table, fields: tuple[str, ...],
                key: str, ids: list[str], order_by: tuple[str, ...],
                project: str | None = None) -> list[dict[str, Any]]:
    """Records ``{field: value}`` of the rows whose ``key`` is in ``ids``, in
    ``order_by`` order; only ``project``'s rows when it is given."""
    if not ids:
        return []
    if dialect == "postgresql":
        # Field and table names come from the models, never from a caller.
        # Arrays, not objects: the server builds them faster and sends half the bytes.
        sql = (f"SELECT CAST(coalesce(json_agg(json_build_array({', '.join(fields)}) "
               f"ORDER BY {', '.join(order_by)}), '[]') AS text) FROM {table.name} "
               f"WHERE {key} IN (SELECT json_array_elements_text(CAST(:ids AS json)))")
        params: dict[str, Any] = {"ids": json.dumps(list(ids))}
        if project is not None:
            sql += " AND project_id = :project"
            params["project"] = project
        arrays = json.loads(session.execute(text(sql), params).scalar_one())
        return from_arrays(table, fields, arrays)
    times = _times(table, fields)
    cols = [table.c[name] for name in fields]
    raw: list[dict[str, Any]] = []
    for i in range(0, len(ids), CHUNK):
        stmt = select(*cols).where(table.c[key].in_(ids[i:i + CHUNK]))
        if project is not None:
            stmt = stmt.where(table.c.project_id == project)
        raw.extend(dict(zip(fields, values))
                   for values in session.execute(stmt.order_by(*(table.c[o] for o in order_by))))
    if len(ids) > CHUNK:   # several chunks: order them all, on the stored values
        raw.sort(key=lambda r: tuple(r[o] for o in order_by))
    for row in raw:
        for name in times:
            if row[name] is not None:
                row[name] = iso(row[name])
    return raw


def read_states(session: Session, dialect: str, member_ids: list[str]) -> list[dict[str, Any]]:
    """HealthState records (JSON-ready) of these members, by (member, monitor, region)."""
    return read_by_key(session, dialect, HealthStateRow.__table__, STATE_FIELDS, "member_id",
                       member_ids, STATE_ORDER)


def read_members(session: Session, dialect: str, member_ids: list[str],
                 project: str | None = None) -> list[dict[str, Any]]:
    """Member records (JSON-ready, as ``record("member", row)``) by id; only
    ``project``'s when it is given."""
    return read_by_key(session, dialect, MemberRow.__table__, MEMBER_FIELDS, "id", member_ids,
                       ("id",), project)


def read_monitors(session: Session, dialect: str, ids: list[str]) -> list[dict[str, Any]]:
    """Monitor records by id."""
    return read_by_key(session, dialect, MonitorRow.__table__, MONITOR_FIELDS, "id", ids, ("id",))


def read_pools(session: Session, dialect: str, ids: list[str]) -> list[dict[str, Any]]:
    """Pool records by id, ``monitor_ids`` in the pool's order."""
    pools = read_by_key(session, dialect, PoolRow.__table__, POOL_FIELDS, "id", ids, ("id",))
    links = read_by_key(session, dialect, PoolMonitorRow.__table__, POOL_LINK_FIELDS,
                        "pool_id", [p["id"] for p in pools], POOL_LINK_ORDER)
    return with_monitor_ids(pools, links)


def with_monitor_ids(pools: list[dict[str, Any]], links: list[dict[str, Any]],
                     ) -> list[dict[str, Any]]:
    """Pool records completed with ``monitor_ids`` from their ordered link rows."""
    monitor_ids: dict[str, list[str]] = {}
    for link in links:
        monitor_ids.setdefault(link["pool_id"], []).append(link["monitor_id"])
    for pool in pools:
        pool["monitor_ids"] = monitor_ids.get(pool["id"], [])
    return pools


def read_gslbs_of_pools(session: Session, dialect: str, pool_ids: list[str],
                        ) -> list[dict[str, Any]]:
    """Gslb records of every GSLB using one of these pools, ``pools`` by priority."""
    used = read_by_key(session, dialect, GslbPoolRow.__table__, ("gslb_id",), "pool_id", pool_ids,
                       ("gslb_id",))
    gslbs = read_by_key(session, dialect, GslbRow.__table__, GSLB_FIELDS, "id",
                        sorted({u["gslb_id"] for u in used}), ("id",))
    links = read_by_key(session, dialect, GslbPoolRow.__table__, GSLB_LINK_FIELDS,
                        "gslb_id", [g["id"] for g in gslbs], GSLB_LINK_ORDER)
    return with_pools(gslbs, links)


def with_pools(gslbs: list[dict[str, Any]], links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Gslb records completed with ``pools`` from their ordered link rows."""
    pools: dict[str, list[dict[str, Any]]] = {}
    for link in links:
        pools.setdefault(link["gslb_id"], []).append(
            {"pool_id": link["pool_id"], "priority": link["priority"]})
    for gslb in gslbs:
        gslb["pools"] = pools.get(gslb["id"], [])
    return gslbs
