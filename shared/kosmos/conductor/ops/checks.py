"""The checker's operations: what to probe from a region, and discovered endpoints."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, func, select

from kosmos.contracts.operations import (CHECKS_DUE, ChecksDueArgs, ENDPOINTS_SET, EndpointsArgs)
from kosmos.conductor.db.models import MemberRow, MonitorRow, PoolMonitorRow, PoolRow
from kosmos.conductor.ops.common import OpContext, op, store_derived
from kosmos.contracts.events import EndpointUpdate

_MONITOR_SPEC = ("id", "type", "delay", "timeout", "max_retries", "max_retries_down", "port",
                 "http_method", "url_path", "expected_codes", "receive_string", "headers",
                 "payload", "ca_cert", "insecure", "options")


_MEMBER_COLUMNS = (MemberRow.id, MemberRow.pool_id, MemberRow.project_id, MemberRow.type,
                   MemberRow.address, MemberRow.endpoints, MemberRow.port, MemberRow.region,
                   MemberRow.neutron_id)


@lru_cache(maxsize=1)
def _fingerprint_select() -> Select[Any]:
    """The statement of ``_fingerprint``, built once (a dozen subqueries)."""
    parts = []
    for row in (MonitorRow, PoolRow, PoolMonitorRow, MemberRow):
        t = row.__table__
        # a monitor on no pool is probed nowhere: making one changes no checker's work
        only = ((t.c.id.in_(select(PoolMonitorRow.monitor_id)),) if row is MonitorRow else ())
        parts += [select(func.count()).select_from(t).where(*only).scalar_subquery(),
                  select(func.max(t.c.created_at)).where(*only).scalar_subquery(),
                  select(func.coalesce(func.sum(t.c.version), 0)).where(*only).scalar_subquery()]
        if row is not MemberRow:
            parts.append(select(func.max(t.c.updated_at)).where(*only).scalar_subquery())
    parts.append(select(func.max(MemberRow.endpoints_updated_at)).scalar_subquery())
    return select(*parts)


def _fingerprint(ctx: OpContext) -> str:
    """What every answer of checks.due depends on, in one statement.

    Per table: the rows, the newest row, the sum of versions (a user's edit bumps
    it); monitors, pools and their links also the newest write; members the newest
    discovered endpoints (endpoints.set) instead, since the engine stamps a member's
    updated_at with every status change, which checks.due does not depend on.
    Monitors count only while on a pool (linking one is a new pool link), so a
    project making monitors does not have every checker read every check again.
    """
    values = ctx.session.execute(_fingerprint_select()).one()
    return hashlib.sha256(repr(tuple(values)).encode()).hexdigest()[:32]


@op(CHECKS_DUE)
def checks_due(ctx: OpContext, a: ChecksDueArgs) -> dict[str, Any]:
    """Every (member, monitor) of every pool probed from ``region``, in a stable order.

    Members that are disabled or drained are checked too: their status is shown
    and they may be enabled at any moment. Every checker asks on every tick, so
    this reads only the columns it returns: no ORM objects, no timestamps to parse.
    """
    region, fingerprint = a.region, _fingerprint(ctx)
    if a.known == fingerprint:
        return {"unchanged": True, "fingerprint": fingerprint}
    regions = dict(ctx.session.execute(ctx.list_scoped(select(PoolRow.id, PoolRow.regions),
                                                       PoolRow)).all())
    links: dict[str, list[str]] = {}
    for pool_id, monitor_id in ctx.session.execute(
            select(PoolMonitorRow.pool_id, PoolMonitorRow.monitor_id)
            .order_by(PoolMonitorRow.pool_id, PoolMonitorRow.position)):
        if pool_id in regions and (regions[pool_id] is None or region in regions[pool_id]):
            links.setdefault(pool_id, []).append(monitor_id)
    if not links:
        return {"checks": [], "fingerprint": fingerprint}
    monitor_ids = sorted({mid for mids in links.values() for mid in mids})
    columns = [getattr(MonitorRow, k) for k in _MONITOR_SPEC]
    monitors: dict[str, dict[str, Any]] = {}
    for i in range(0, len(monitor_ids), 500):
        for row in ctx.session.execute(select(*columns).where(
                MonitorRow.id.in_(monitor_ids[i:i + 500]))):
            monitors[row[0]] = dict(zip(_MONITOR_SPEC, row, strict=True))
    checks = []
    pool_ids = sorted(links)
    rows = []
    for i in range(0, len(pool_ids), 500):
        rows += ctx.session.execute(select(*_MEMBER_COLUMNS).where(
            MemberRow.pool_id.in_(pool_ids[i:i + 500]))).all()
    for (mid_, pool_id, project_id, mtype, address, endpoints, port, member_region,
         neutron_id) in sorted(rows, key=lambda r: r[0]):
        endpoints = list(endpoints or [])
        address = address if mtype == "IP" else (endpoints[0] if endpoints else None)
        for mid in links[pool_id]:
            if mid in monitors:
                checks.append({
                    "member_id": mid_, "pool_id": pool_id, "project_id": project_id,
                    "member_type": mtype, "address": address, "endpoints": endpoints,
                    "port": port, "member_region": member_region, "neutron_id": neutron_id,
                    "monitor": monitors[mid]})
    return {"checks": checks, "fingerprint": fingerprint}


@op(ENDPOINTS_SET)
def endpoints_set(ctx: OpContext, args: EndpointsArgs) -> dict[str, Any]:
    """Store discovered addresses; only members whose endpoints or status changed are written.

    An update observed before the stored one changes nothing (late delivery);
    STALE keeps the last known addresses; updates for members that no longer
    exist are ignored (the member was deleted meanwhile), and so are IP members,
    whose endpoint is their address.
    """
    updates = args.updates
    latest: dict[str, EndpointUpdate] = {}
    for u in updates:  # the newest observation per member wins within one call too
        if u.member_id not in latest or u.observed_at >= latest[u.member_id].observed_at:
            latest[u.member_id] = u
    if not latest:
        return {"changed": []}
    rows = ctx.session.scalars(ctx.list_scoped(
        select(MemberRow).where(MemberRow.id.in_(list(latest))), MemberRow)).all()
    changed = []
    for row in rows:
        u = latest[row.id]
        if row.type == "IP":  # an IP member's endpoint is its address, nothing to discover
            continue
        if row.endpoints_updated_at is not None and u.observed_at < row.endpoints_updated_at:
            continue
        endpoints = list(row.endpoints or []) if u.status == "STALE" else list(u.endpoints)
        if (endpoints, u.status, u.reason) == (list(row.endpoints or []), row.endpoints_status,
                                               row.endpoints_reason):
            continue
        # derived, like a status: a user's update must not be refused over it
        store_derived(ctx, MemberRow, row.id, {
            "endpoints": endpoints, "endpoints_status": u.status, "endpoints_reason": u.reason,
            "endpoints_updated_at": u.observed_at, "updated_at": ctx.now})
        changed.append(row.id)
    return {"changed": sorted(changed)}
