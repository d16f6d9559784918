"""``gslb.trees``: GSLBs with their pools and members, without the ORM.

The engine reads the trees of the GSLBs a decisive result touches before it
pushes the new answer, so this is on the path from result to DNS. On
PostgreSQL the page of GSLBs, their pool links, pools, monitor links and
members come from one statement as one JSON document of arrays (pg8000 spends
three round trips per statement); elsewhere from one read per part
(``kosmos.conductor.db.bulk_read``). Both give the records ``*.get`` gives.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from kosmos.conductor.db import bulk_read as br
from kosmos.conductor.db.context_read import agg
from kosmos.conductor.db.models import (GslbPoolRow, GslbRow, MemberRow, PoolMonitorRow,
                                        PoolRow)

MEMBER_ORDER = ("pool_id", "created_at", "id")

# Names come from the models, never from a caller. Each part looks its rows up as
# ``column = ANY(ARRAY(subquery))``, by index (see ``context_read``): with ``IN``, one
# GSLB's tree scanned pools, pool_monitors and gslb_pools in full.
_PG_TREES = text(f"""
WITH g AS (
    SELECT * FROM gslbs
    WHERE (CAST(:ids AS text) IS NULL
           OR id = ANY(ARRAY(SELECT json_array_elements_text(CAST(:ids AS json)))))
      AND (CAST(:project AS varchar) IS NULL OR project_id = CAST(:project AS varchar))
      AND (CAST(:marker AS varchar) IS NULL OR id > CAST(:marker AS varchar))
    ORDER BY id LIMIT :limit
), gp AS (SELECT * FROM gslb_pools WHERE gslb_id = ANY(ARRAY(SELECT id FROM g))
), p AS (SELECT * FROM pools WHERE id = ANY(ARRAY(SELECT pool_id FROM gp)))
SELECT CAST(json_build_array(
    {agg(br.TREE_GSLB_FIELDS, ("id",), "g")},
    {agg(br.GSLB_LINK_FIELDS, br.GSLB_LINK_ORDER, "gp")},
    {agg(br.POOL_FIELDS, ("id",), "p")},
    {agg(br.POOL_LINK_FIELDS, br.POOL_LINK_ORDER,
         "pool_monitors WHERE pool_id = ANY(ARRAY(SELECT id FROM p))")},
    {agg(br.MEMBER_FIELDS, MEMBER_ORDER,
         "pool_members WHERE pool_id = ANY(ARRAY(SELECT id FROM p))")}
) AS text)
""")


def read_trees(session: Session, dialect: str, gslb_ids: list[str] | None,
               project: str | None, marker: str | None, limit: int,
               ) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``limit`` GslbTree records in id order after ``marker`` (only ``gslb_ids``
    when given, only ``project``'s when given), and the next marker (None: last page)."""
    if dialect == "postgresql":
        parts = json.loads(session.execute(_PG_TREES, {
            "ids": None if gslb_ids is None else json.dumps(list(gslb_ids)),
            "project": project, "marker": marker, "limit": limit + 1}).scalar_one())
        gslbs, gslb_links, pools, pool_links, members = (
            br.from_arrays(table, fields, part) for table, fields, part in zip(
                (GslbRow.__table__, GslbPoolRow.__table__, PoolRow.__table__,
                 PoolMonitorRow.__table__, MemberRow.__table__),
                (br.TREE_GSLB_FIELDS, br.GSLB_LINK_FIELDS, br.POOL_FIELDS, br.POOL_LINK_FIELDS,
                 br.MEMBER_FIELDS), parts))
    else:
        gslbs, gslb_links, pools, pool_links, members = _portable(
            session, dialect, gslb_ids, project, marker, limit + 1)
    next_marker = gslbs[limit - 1]["id"] if len(gslbs) > limit else None
    gslbs = br.with_pools(gslbs[:limit], gslb_links)
    by_pool = {p["id"]: p for p in br.with_monitor_ids(pools, pool_links)}
    members_of: dict[str, list[dict[str, Any]]] = {}
    for m in members:
        members_of.setdefault(m["pool_id"], []).append(m)
    links_of: dict[str, list[dict[str, Any]]] = {}
    for link in gslb_links:
        links_of.setdefault(link["gslb_id"], []).append(link)
    items = [{"served_route": g.pop("answer_route", None), "gslb": g,
              "pools": [{"pool": by_pool[link["pool_id"]], "priority": link["priority"],
                         "members": members_of.get(link["pool_id"], [])}
                        for link in links_of.get(g["id"], []) if link["pool_id"] in by_pool]}
             for g in gslbs]
    return items, next_marker


def _portable(session: Session, dialect: str, gslb_ids: list[str] | None, project: str | None,
              marker: str | None, limit: int) -> tuple[list[dict[str, Any]], ...]:
    stmt = select(GslbRow.id)
    if gslb_ids is not None:
        stmt = stmt.where(GslbRow.id.in_(gslb_ids))
    if project is not None:
        stmt = stmt.where(GslbRow.project_id == project)
    if marker is not None:
        stmt = stmt.where(GslbRow.id > marker)
    ids = list(session.scalars(stmt.order_by(GslbRow.id).limit(limit)))
    gslbs = br.read_by_key(session, dialect, GslbRow.__table__, br.TREE_GSLB_FIELDS, "id", ids,
                           ("id",))
    gslb_links = br.read_by_key(session, dialect, GslbPoolRow.__table__, br.GSLB_LINK_FIELDS,
                                "gslb_id", ids, br.GSLB_LINK_ORDER)
    pool_ids = sorted({link["pool_id"] for link in gslb_links})
    pools = br.read_by_key(session, dialect, PoolRow.__table__, br.POOL_FIELDS, "id", pool_ids,
                           ("id",))
    pool_links = br.read_by_key(session, dialect, PoolMonitorRow.__table__, br.POOL_LINK_FIELDS,
                                "pool_id", pool_ids, br.POOL_LINK_ORDER)
    members = br.read_by_key(session, dialect, MemberRow.__table__, br.MEMBER_FIELDS, "pool_id",
                             pool_ids, MEMBER_ORDER)
    return gslbs, gslb_links, pools, pool_links, members
