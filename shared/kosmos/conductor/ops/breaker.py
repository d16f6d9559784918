"""breaker.view: what the engine's circuit breaker judges (``kosmos.domain.breaker``).

Deployment-wide and read only when a cycle moves members: how many distinct
endpoints (address, port) of enabled members in monitored pools there are,
which enabled members are OFFLINE now, monitors changed lately, and the
GSLBs whose changes are held.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import select

from kosmos.conductor.db.models import GslbRow, MemberRow, MonitorRow, PoolMonitorRow
from kosmos.conductor.ops.common import OpContext, op, parse
from kosmos.contracts.common import StrictModel
from kosmos.contracts.resources import PublishStatus


class BreakerViewArgs(StrictModel):
    monitors_window: float = Field(600.0, ge=0, le=86400,
                                   description="seconds: monitors changed this recently are named")


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


@op("breaker.view")
def breaker_view(ctx: OpContext, args: dict[str, Any]) -> dict[str, Any]:
    a = parse(BreakerViewArgs, args)
    monitors: dict[str, list[str]] = defaultdict(list)
    for pool_id, monitor_id in ctx.session.execute(
            select(PoolMonitorRow.pool_id, PoolMonitorRow.monitor_id)):
        monitors[pool_id].append(monitor_id)
    endpoints: set[tuple[str, int]] = set()
    down: list[dict[str, Any]] = []
    rows = ctx.session.execute(select(
        MemberRow.id, MemberRow.pool_id, MemberRow.type, MemberRow.address, MemberRow.endpoints,
        MemberRow.port, MemberRow.region, MemberRow.operating_status).where(
        MemberRow.admin_state_up.is_(True), MemberRow.weight > 0))
    for mid, pool_id, mtype, address, eps, port, region, status in rows:
        if not monitors.get(pool_id):
            continue
        addresses = list(eps or []) or ([address] if address else [])
        endpoints.update((x, port) for x in addresses)
        if status == "OFFLINE":
            down.append({"member_id": mid, "addresses": addresses, "port": port,
                         "region": region, "monitor_ids": sorted(monitors[pool_id])})
    since = ctx.now - timedelta(seconds=a.monitors_window)
    changed = {m: _iso(at) for m, at in ctx.session.execute(
        select(MonitorRow.id, MonitorRow.updated_at).where(MonitorRow.updated_at >= since))}
    held = sorted(ctx.session.scalars(select(GslbRow.id).where(
        GslbRow.publish_status == PublishStatus.HELD.value)))
    return {"total_endpoints": len(endpoints), "down": down, "monitors_changed": changed,
            "held": held}
