"""A GSLB's stated ``failover_time`` (``kosmos.domain.failover``), added to its records."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, select

from kosmos.appliances.registry import publish_seconds
from kosmos.conductor.db.models import GslbPoolRow, MonitorRow, PoolMonitorRow, PoolRow
from kosmos.conductor.ops.common import OpContext
from kosmos.config import get_settings
from kosmos.domain.failover import MonitorTiming, failover_time


#: the timings ``add_failover`` takes, in its order
TIMING_COLUMNS = (GslbPoolRow.gslb_id, GslbPoolRow.pool_id, PoolRow.regions, MonitorRow.delay,
                  MonitorRow.timeout, MonitorRow.max_retries_down, MonitorRow.recheck_delay)


def joined_to_timings(stmt: Select[Any], *, outer: bool = False) -> Select[Any]:
    """``stmt`` (which selects from ``gslb_pools``) joined to each linked pool and its
    monitors, whose ``TIMING_COLUMNS`` it can then select; ``outer`` keeps a link whose
    pool has no monitor."""
    for target, on in ((PoolRow, PoolRow.id == GslbPoolRow.pool_id),
                       (PoolMonitorRow, PoolMonitorRow.pool_id == GslbPoolRow.pool_id),
                       (MonitorRow, MonitorRow.id == PoolMonitorRow.monitor_id)):
        stmt = stmt.join(target, on, isouter=outer)
    return stmt


@lru_cache(maxsize=1)
def _timings() -> Select[Any]:
    """The monitors' timings of the GSLBs ``gslb_ids`` through their pools, built once
    (building it on every call took half of a GSLB get's CPU in the conductor)."""
    return joined_to_timings(select(*TIMING_COLUMNS)).where(
        GslbPoolRow.gslb_id.in_(bindparam("gslb_ids", expanding=True)))


def with_failover(ctx: OpContext, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """GSLB records with their ``failover_time`` (``kosmos.domain.failover``), from one
    query of their pools' monitors."""
    if not items:
        return items
    ids = [g["id"] for g in items]
    return add_failover(items, ctx.session.execute(_timings(), {"gslb_ids": ids}).all())


def add_failover(items: list[dict[str, Any]], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """GSLB records with their ``failover_time``, from ``rows`` of their pools' monitors'
    timings as ``_timings`` reads them (gslb id, pool id, regions, delay, timeout,
    max_retries_down, recheck_delay)."""
    s = get_settings()
    pools: dict[str, dict[str, tuple[list[MonitorTiming], int]]] = {}
    for gslb_id, pool_id, regions, delay, timeout, fall, recheck in rows:
        n = len(regions) if regions else len(s.regions)
        entry = pools.setdefault(gslb_id, {}).setdefault(pool_id, ([], n))
        entry[0].append(MonitorTiming(float(delay), float(timeout), int(fall),
                                      float(recheck) if s.recheck else None))
    for g in items:
        ft = failover_time(pools.get(g["id"], {}).values(), s.quorum, s.results_interval,
                           publish_seconds(g.get("appliance") or s.appliance), int(g["ttl"]))
        g["failover_time"] = ft.as_dict() if ft else None
    return items
