"""The checker's operations: what to probe from a region, and discovered endpoints."""
from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import select

from kosmos.conductor.db.models import MemberRow, MonitorRow, PoolRow
from kosmos.conductor.ops.common import OpContext, op, parse, store_derived
from kosmos.contracts.common import Region, StrictModel
from kosmos.contracts.events import EndpointUpdate

_MONITOR_SPEC = ("id", "type", "delay", "timeout", "max_retries", "max_retries_down", "port",
                 "http_method", "url_path", "expected_codes", "receive_string", "headers",
                 "payload", "ca_cert", "insecure", "options")


class DueArgs(StrictModel):
    region: Region


class EndpointsArgs(StrictModel):
    updates: list[EndpointUpdate] = Field(default_factory=list, max_length=10000)


def _monitor_spec(m: MonitorRow) -> dict[str, Any]:
    return {k: getattr(m, k) for k in _MONITOR_SPEC}


@op("checks.due")
def checks_due(ctx: OpContext, args: dict[str, Any]) -> dict[str, Any]:
    """Every (member, monitor) of every pool probed from ``region``, in a stable order.

    Members that are disabled or drained are checked too: their status is shown
    and they may be enabled at any moment.
    """
    region = parse(DueArgs, args).region
    pools = [p for p in ctx.session.scalars(ctx.list_scoped(select(PoolRow), PoolRow))
             if p.monitor_ids and (p.regions is None or region in p.regions)]
    if not pools:
        return {"checks": []}
    by_pool = {p.id: p for p in pools}
    monitor_ids = {mid for p in pools for mid in p.monitor_ids}
    monitors = {m.id: _monitor_spec(m) for m in ctx.session.scalars(
        select(MonitorRow).where(MonitorRow.id.in_(monitor_ids)))}
    checks = []
    members = ctx.session.scalars(select(MemberRow).where(
        MemberRow.pool_id.in_(list(by_pool))).order_by(MemberRow.id))
    for m in members:
        endpoints = list(m.endpoints or [])
        address = m.address if m.type == "IP" else (endpoints[0] if endpoints else None)
        for mid in by_pool[m.pool_id].monitor_ids:
            if mid in monitors:
                checks.append({
                    "member_id": m.id, "pool_id": m.pool_id, "project_id": m.project_id,
                    "member_type": m.type, "address": address, "endpoints": endpoints,
                    "port": m.port, "member_region": m.region, "neutron_id": m.neutron_id,
                    "monitor": monitors[mid]})
    return {"checks": checks}


@op("endpoints.set")
def endpoints_set(ctx: OpContext, args: dict[str, Any]) -> dict[str, Any]:
    """Store discovered addresses; only members whose endpoints or status changed are written.

    An update observed before the stored one changes nothing (late delivery);
    STALE keeps the last known addresses; updates for members that no longer
    exist are ignored (the member was deleted meanwhile), and so are IP members,
    whose endpoint is their address.
    """
    updates = parse(EndpointsArgs, args).updates
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
