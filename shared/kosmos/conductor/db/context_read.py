"""``engine.context`` in one statement on PostgreSQL.

The engine asks for its context on every results batch, and for a decisive
result the time spent here is time before DNS changes. pg8000 spends three
round trips on every statement, so on PostgreSQL the members, their pools
(with monitor links), monitors, health rows and the GSLBs using the pools
(with pool links) come back from one statement as one JSON document of
arrays, each part built by the server from the rows of the part before.
Elsewhere (SQLite: in-process, round trips are free) the same records come
from one read per part (``kosmos.conductor.db.bulk_read``).
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from kosmos.conductor.db import bulk_read as br
from kosmos.conductor.db.models import (GslbPoolRow, GslbRow, HealthStateRow, MemberRow,
                                        MonitorRow, PoolMonitorRow, PoolRow)


def agg(fields: tuple[str, ...], order_by: tuple[str, ...], source: str) -> str:
    """SQL: the rows of ``source`` as one JSON array of ``json_build_array(fields...)``."""
    return (f"(SELECT coalesce(json_agg(json_build_array({', '.join(fields)}) "
            f"ORDER BY {', '.join(order_by)}), '[]') FROM {source})")


# Names come from the models, never from a caller. A CTE used more than once is
# computed once; each part reads only the rows the part before found.
#
# Each part asks ``column = ANY(ARRAY(subquery))``, never ``column IN (subquery)``: the
# planner guesses a hundred rows for a JSON list or a CTE, and against that guess a hash
# join over the whole table looks cheaper than index lookups. With ``IN``, every read
# scanned pools, pool_monitors, gslb_pools and monitors in full (at 10,000 GSLBs, 13 ms
# of the server's 22 for 60 members, growing with the tables); an array is looked up in
# the primary key or foreign-key index, whatever the tables' size.
_MEMBERS = """
    SELECT * FROM pool_members
    WHERE id = ANY(ARRAY(SELECT json_array_elements_text(CAST(:ids AS json))))
      AND (CAST(:project AS varchar) IS NULL OR project_id = CAST(:project AS varchar))
"""
_PG_CONTEXT = text(f"""
WITH m AS ({_MEMBERS}), p AS (SELECT * FROM pools WHERE id = ANY(ARRAY(SELECT pool_id FROM m))
), pm AS (SELECT * FROM pool_monitors WHERE pool_id = ANY(ARRAY(SELECT id FROM p))
), g AS (SELECT * FROM gslbs WHERE id = ANY(ARRAY(
         SELECT gslb_id FROM gslb_pools WHERE pool_id = ANY(ARRAY(SELECT id FROM p))))
)
SELECT CAST(json_build_array(
    {agg(br.MEMBER_FIELDS, ("id",), "m")},
    {agg(br.POOL_FIELDS, ("id",), "p")},
    {agg(br.POOL_LINK_FIELDS, br.POOL_LINK_ORDER, "pm")},
    {agg(br.MONITOR_FIELDS, ("id",),
         "monitors WHERE id = ANY(ARRAY(SELECT monitor_id FROM pm))")},
    {agg(br.STATE_FIELDS, br.STATE_ORDER,
          "health_states WHERE member_id = ANY(ARRAY(SELECT id FROM m))")},
    {agg(br.GSLB_FIELDS, ("id",), "g")},
    {agg(br.GSLB_LINK_FIELDS, br.GSLB_LINK_ORDER,
          "gslb_pools WHERE gslb_id = ANY(ARRAY(SELECT id FROM g))")}
) AS text)
""")


#: ``states_only``: the members and their health rows, nothing else
_PG_STATES = text(f"""
WITH m AS ({_MEMBERS})
SELECT CAST(json_build_array(
    {agg(br.MEMBER_FIELDS, ("id",), "m")},
    {agg(br.STATE_FIELDS, br.STATE_ORDER,
          "health_states WHERE member_id = ANY(ARRAY(SELECT id FROM m))")}
) AS text)
""")


def read_context(session: Session, dialect: str, member_ids: list[str],
                 project: str | None = None, states_only: bool = False,
                 ) -> dict[str, list[dict[str, Any]]]:
    """The records of ``engine.context``: members (only ``project``'s when given),
    pools, monitors, states and GSLBs, each list in id (states: key) order;
    ``states_only``: the members and states alone (the other lists empty)."""
    if not member_ids:
        return {"members": [], "pools": [], "monitors": [], "states": [], "gslbs": []}
    if states_only:
        return _states_only(session, dialect, member_ids, project)
    if dialect != "postgresql":
        return _portable(session, dialect, member_ids, project)
    parts = json.loads(session.execute(_PG_CONTEXT, {
        "ids": json.dumps(list(member_ids)), "project": project}).scalar_one())
    members, pools, pool_links, monitors, states, gslbs, gslb_links = parts
    return {
        "members": br.from_arrays(MemberRow.__table__, br.MEMBER_FIELDS, members),
        "pools": br.with_monitor_ids(
            br.from_arrays(PoolRow.__table__, br.POOL_FIELDS, pools),
            br.from_arrays(PoolMonitorRow.__table__, br.POOL_LINK_FIELDS, pool_links)),
        "monitors": br.from_arrays(MonitorRow.__table__, br.MONITOR_FIELDS, monitors),
        "states": br.from_arrays(HealthStateRow.__table__, br.STATE_FIELDS, states),
        "gslbs": br.with_pools(
            br.from_arrays(GslbRow.__table__, br.GSLB_FIELDS, gslbs),
            br.from_arrays(GslbPoolRow.__table__, br.GSLB_LINK_FIELDS, gslb_links)),
    }


def _portable(session: Session, dialect: str, member_ids: list[str],
              project: str | None) -> dict[str, list[dict[str, Any]]]:
    rows = _states_only(session, dialect, member_ids, project)
    pool_ids = sorted({m["pool_id"] for m in rows["members"]})
    pools = br.read_pools(session, dialect, pool_ids)
    monitor_ids = sorted({mid for p in pools for mid in p["monitor_ids"]})
    return {**rows, "pools": pools, "monitors": br.read_monitors(session, dialect, monitor_ids),
            "gslbs": br.read_gslbs_of_pools(session, dialect, pool_ids)}


def _states_only(session: Session, dialect: str, member_ids: list[str],
                 project: str | None) -> dict[str, list[dict[str, Any]]]:
    if dialect == "postgresql":
        members, states = json.loads(session.execute(_PG_STATES, {
            "ids": json.dumps(list(member_ids)), "project": project}).scalar_one())
        members = br.from_arrays(MemberRow.__table__, br.MEMBER_FIELDS, members)
        states = br.from_arrays(HealthStateRow.__table__, br.STATE_FIELDS, states)
    else:
        members = br.read_members(session, dialect, member_ids, project)
        states = br.read_states(session, dialect, [m["id"] for m in members])
    return {"members": members, "pools": [], "monitors": [], "states": states, "gslbs": []}
