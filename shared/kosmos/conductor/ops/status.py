"""Status trees: member → per-region verdicts, pool → members, GSLB → pools.

A region's verdict is *fresh* while its ``last_checked_at`` is within
``stale_intervals`` × the monitor's delay of the time the engine judges at (its
watermark as its lag records tell it, while that is within the window; else
now: ``kosmos.domain.quorum.judged_at``); the engine ignores stale ones, and
the tree says which they are so an operator sees why.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import exists, func, select

from kosmos.contracts.operations import (GSLB_STATUS, IdArgs, MEMBER_STATUS, POOL_STATUS)
from kosmos.contracts.common import iso
from kosmos.conductor.db.models import (GslbPoolRow, GslbRow, HealthStateRow, MemberRow,
                                        MonitorRow, PoolMonitorRow, PoolRow)
from kosmos.conductor.ops.failover import with_failover
from kosmos.conductor.ops.common import OpContext, get_row, op, record, store_statuses
from kosmos.conductor.ops.lag import lag_records, lag_rows, watermark_at
from kosmos.domain.quorum import fresh_at, judged_at, stale_window
from kosmos.domain import rollup

def refresh_pools(ctx: OpContext, pool_ids: set[str]) -> None:
    """Store the derived operating_status of these pools, then of the GSLBs using them.

    The status is derived, not edited: storing it does not bump ``version``,
    so a user's read-modify-write is not refused because a member went down.
    Counting happens in the database so a pool of thousands stays cheap.
    """
    if not pool_ids:
        return
    ids = sorted(pool_ids)
    counts: dict[str, list[str]] = defaultdict(list)
    for pool_id, status, n in ctx.session.execute(
            select(MemberRow.pool_id, MemberRow.operating_status, func.count())
            .where(MemberRow.pool_id.in_(ids), MemberRow.admin_state_up.is_(True))
            .group_by(MemberRow.pool_id, MemberRow.operating_status)):
        counts[pool_id].extend([status] * n)
    has_monitor = exists().where(PoolMonitorRow.pool_id == PoolRow.id)
    changed: dict[str, str] = {}
    for pool_id, current, monitored in ctx.session.execute(
            select(PoolRow.id, PoolRow.operating_status, has_monitor).where(PoolRow.id.in_(ids))):
        status = rollup.pool_status(bool(monitored), counts.get(pool_id, []))
        if status != current:
            changed[pool_id] = status
    store_statuses(ctx, PoolRow, changed)
    if changed:  # a GSLB's status follows only its pools' statuses
        refresh_gslbs(ctx, set(ctx.session.scalars(select(GslbPoolRow.gslb_id).where(
            GslbPoolRow.pool_id.in_(sorted(changed))))))


def refresh_gslbs(ctx: OpContext, gslb_ids: set[str]) -> None:
    """Store the derived operating_status of these GSLBs from their pools'."""
    if not gslb_ids:
        return
    ids = sorted(gslb_ids)
    by_gslb: dict[str, list[str]] = defaultdict(list)
    for gslb_id, status in ctx.session.execute(
            select(GslbPoolRow.gslb_id, PoolRow.operating_status)
            .join(PoolRow, PoolRow.id == GslbPoolRow.pool_id)
            .where(GslbPoolRow.gslb_id.in_(ids))):
        by_gslb[gslb_id].append(status)
    changed: dict[str, str] = {}
    for gslb_id, current in ctx.session.execute(
            select(GslbRow.id, GslbRow.operating_status).where(GslbRow.id.in_(ids))):
        status = rollup.gslb_status(by_gslb.get(gslb_id, []))
        if status != current:
            changed[gslb_id] = status
    store_statuses(ctx, GslbRow, changed)


class TreeBuilder:
    """Loads what a set of pools' trees need in a few queries, then builds them."""

    def __init__(self, ctx: OpContext, pools: list[PoolRow]):
        self.ctx = ctx
        self.pools = {p.id: p for p in pools}
        monitor_ids = {mid for p in pools for mid in p.monitor_ids}
        self.delays: dict[str, int] = {}
        if monitor_ids:
            rows = ctx.session.execute(
                select(MonitorRow.id, MonitorRow.delay).where(MonitorRow.id.in_(monitor_ids)))
            self.delays = {mid: delay for mid, delay in rows}
        self.members: dict[str, list[MemberRow]] = defaultdict(list)
        member_rows = ctx.session.scalars(select(MemberRow).where(
            MemberRow.pool_id.in_(list(self.pools))).order_by(MemberRow.created_at,
                                                              MemberRow.id)) if pools else []
        for m in member_rows:
            self.members[m.pool_id].append(m)
        member_ids = [m.id for ms in self.members.values() for m in ms]
        self.lags = lag_records(ctx)   # the engine's, to judge freshness as it does
        self.states: dict[str, list[HealthStateRow]] = defaultdict(list)
        for i in range(0, len(member_ids), 500):
            for s in ctx.session.scalars(select(HealthStateRow).where(
                    HealthStateRow.member_id.in_(member_ids[i:i + 500])).order_by(
                    HealthStateRow.region, HealthStateRow.monitor_id)):
                self.states[s.member_id].append(s)

    def region(self, state: HealthStateRow) -> dict[str, Any]:
        window = stale_window(self.delays.get(state.monitor_id, 0), self.ctx.stale_intervals)
        now = self.ctx.now
        at = judged_at(now, watermark_at(self.lags, now, window), window)
        fresh = fresh_at(state.last_checked_at, at, window)
        return {"region": state.region, "monitor_id": state.monitor_id,
                "verdict": state.verdict, "fresh": fresh, "last_ok": state.last_ok,
                "last_reason": state.last_reason, "last_latency_ms": state.last_latency_ms,
                "last_checked_at": iso(state.last_checked_at),
                "consecutive_ok": state.consecutive_ok,
                "consecutive_fail": state.consecutive_fail}

    def member(self, m: MemberRow) -> dict[str, Any]:
        pool = self.pools.get(m.pool_id)
        monitor_ids = set(pool.monitor_ids) if pool else set()
        status = m.operating_status if monitor_ids else rollup.NO_MONITOR
        return {"member": record("member", m), "operating_status": status,
                "status_reason": m.status_reason,
                "regions": [self.region(s) for s in self.states.get(m.id, [])
                            if s.monitor_id in monitor_ids]}

    def pool(self, pool_id: str) -> tuple[str, list[dict[str, Any]]]:
        pool = self.pools[pool_id]
        trees = [self.member(m) for m in self.members.get(pool_id, [])]
        enabled = [t["operating_status"] for t in trees if t["member"]["admin_state_up"]]
        return rollup.pool_status(bool(pool.monitor_ids), enabled), trees


@op(MEMBER_STATUS)
def member_status(ctx: OpContext, args: IdArgs) -> dict[str, Any]:
    m = get_row(ctx, MemberRow, args.id, "member")
    pool = ctx.session.get(PoolRow, m.pool_id)
    return TreeBuilder(ctx, [pool] if pool else []).member(m)


@op(POOL_STATUS)
def pool_status(ctx: OpContext, args: IdArgs) -> dict[str, Any]:
    pool = get_row(ctx, PoolRow, args.id, "pool")
    status, members = TreeBuilder(ctx, [pool]).pool(pool.id)
    return {"pool": record("pool", pool), "operating_status": status, "members": members}


@op(GSLB_STATUS)
def gslb_status(ctx: OpContext, args: IdArgs) -> dict[str, Any]:
    gslb = get_row(ctx, GslbRow, args.id, "gslb")
    ids = [link.pool_id for link in gslb.pool_links]
    pools = list(ctx.session.scalars(select(PoolRow).where(PoolRow.id.in_(ids)))) if ids else []
    builder = TreeBuilder(ctx, pools)
    out = []
    for link in gslb.pool_links:
        if link.pool_id in builder.pools:
            status, members = builder.pool(link.pool_id)
            out.append({"pool_id": link.pool_id, "priority": link.priority,
                        "operating_status": status, "members": members})
    rec = with_failover(ctx, [record("gslb", gslb)])[0]
    return {"gslb": rec, "failover_time": rec["failover_time"],
            "operating_status": rollup.gslb_status([p["operating_status"] for p in out]),
            "answers": list(gslb.answers), "answers_changed_at": iso(gslb.answers_changed_at),
            "publish_status": gslb.publish_status, "pools": out,
            "engine_lag": lag_rows(builder.lags)}
