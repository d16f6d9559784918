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
from sqlalchemy import exists, func, select

from kosmos.conductor.db.models import GslbRow, MemberRow, MonitorRow, PoolMonitorRow
from kosmos.conductor.ops.common import OpContext, op, parse
from kosmos.contracts.common import StrictModel
from kosmos.contracts.resources import PublishStatus


class BreakerViewArgs(StrictModel):
    monitors_window: float = Field(600.0, ge=0, le=86400,
                                   description="seconds: monitors changed this recently are named")
    summary: bool = Field(False, description="only count OFFLINE members and HELD GSLBs "
                                             "(one statement; enough to know it cannot trip)")


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


@op("breaker.view")
def breaker_view(ctx: OpContext, args: dict[str, Any]) -> dict[str, Any]:
    a = parse(BreakerViewArgs, args)
    monitored = exists().where(PoolMonitorRow.pool_id == MemberRow.pool_id)
    enabled = (MemberRow.admin_state_up.is_(True), MemberRow.weight > 0, monitored)
    if a.summary:
        offline = select(func.count()).where(MemberRow.operating_status == "OFFLINE", *enabled)
        held = select(func.count()).where(GslbRow.publish_status == PublishStatus.HELD.value)
        n_offline, n_held = ctx.session.execute(
            select(offline.scalar_subquery(), held.scalar_subquery())).one()
        return {"offline_members": n_offline, "held_count": n_held}
    # IP members' endpoints are counted by the database; discovered ones (few) here.
    ip_total = ctx.session.scalar(select(func.count()).select_from(
        select(MemberRow.address, MemberRow.port).where(
            MemberRow.type == "IP", *enabled).distinct().subquery())) or 0
    endpoints: set[tuple[str, int]] = set()
    for address, eps, port in ctx.session.execute(select(
            MemberRow.address, MemberRow.endpoints, MemberRow.port).where(
            MemberRow.type != "IP", *enabled)):
        endpoints.update((x, port) for x in (list(eps or []) or ([address] if address else [])))
    monitors: dict[str, list[str]] = defaultdict(list)
    down: list[dict[str, Any]] = []
    rows = ctx.session.execute(select(
        MemberRow.id, MemberRow.pool_id, MemberRow.address, MemberRow.endpoints,
        MemberRow.port, MemberRow.region).where(MemberRow.operating_status == "OFFLINE", *enabled))
    rows = list(rows)
    if rows:
        for pool_id, monitor_id in ctx.session.execute(
                select(PoolMonitorRow.pool_id, PoolMonitorRow.monitor_id).where(
                    PoolMonitorRow.pool_id.in_(sorted({r[1] for r in rows})))):
            monitors[pool_id].append(monitor_id)
    for mid, pool_id, address, eps, port, region in rows:
        addresses = list(eps or []) or ([address] if address else [])
        down.append({"member_id": mid, "addresses": addresses, "port": port,
                     "region": region, "monitor_ids": sorted(monitors[pool_id])})
    since = ctx.now - timedelta(seconds=a.monitors_window)
    changed = {m: _iso(at) for m, at in ctx.session.execute(
        select(MonitorRow.id, MonitorRow.updated_at).where(MonitorRow.updated_at >= since))}
    held = sorted(ctx.session.scalars(select(GslbRow.id).where(
        GslbRow.publish_status == PublishStatus.HELD.value)))
    return {"total_endpoints": ip_total + len(endpoints), "down": down,
            "monitors_changed": changed, "held": held}
