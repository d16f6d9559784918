"""The checker's operations: what to probe from a region, and discovered endpoints."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import JSON, Text, cast, select

from kosmos.contracts.operations import (CHECKS_DUE, ChecksDueArgs, ENDPOINTS_SET, EndpointsArgs)
from kosmos.conductor.db.models import ChecksGenerationRow, MemberRow, MonitorRow, PoolMonitorRow, PoolRow
from kosmos.conductor.ops.common import OpContext, op, store_derived
from kosmos.contracts.events import EndpointUpdate

_MONITOR_SPEC = ("id", "type", "delay", "timeout", "max_retries", "max_retries_down", "port",
                 "http_method", "url_path", "expected_codes", "receive_string", "headers",
                 "payload", "ca_cert", "insecure", "options")


def _as_text(column: Any) -> Any:
    """A JSON column read as its text, for ``_Decoded``."""
    return cast(column, Text) if isinstance(column.type, JSON) else column


_MEMBER_COLUMNS = tuple(_as_text(c) for c in (
    MemberRow.id, MemberRow.pool_id, MemberRow.project_id, MemberRow.type, MemberRow.address,
    MemberRow.endpoints, MemberRow.port, MemberRow.region, MemberRow.neutron_id))
_MONITOR_COLUMNS = tuple(_as_text(getattr(MonitorRow, k)) for k in _MONITOR_SPEC)
_MONITOR_JSON = tuple(k for k in _MONITOR_SPEC if isinstance(getattr(MonitorRow, k).type, JSON))


class _Decoded(dict):
    """JSON texts decoded once per answer: at 25,000 checks the driver decoding 75,000
    small values one by one ("[200]", "{}", "[]", the same regions) was half the read.
    Equal texts share one decoded value, which goes only into this answer."""

    def __missing__(self, text: str | None) -> Any:
        value = self[text] = None if text is None else json.loads(text)
        return value


_GENERATION = select(ChecksGenerationRow.epoch, ChecksGenerationRow.value).where(
    ChecksGenerationRow.id == 1)


def _fingerprint(ctx: OpContext) -> str:
    """What every answer of checks.due depends on: the checks generation, one row that
    triggers bump on every write changing a check (migration 0012 lists them), read
    before the checks so an answer is never older than its fingerprint. No row yet:
    nothing was written since the tables were made (or emptied)."""
    row = ctx.session.connection().execute(_GENERATION).first()
    seen = "none" if row is None else f"{row[0]}:{row[1]}"
    return hashlib.sha256(seen.encode()).hexdigest()[:32]


@op(CHECKS_DUE)
def checks_due(ctx: OpContext, a: ChecksDueArgs) -> dict[str, Any]:
    """Every (member, monitor) of every pool probed from ``region``, in a stable order,
    and each monitor they name once.

    Members that are disabled or drained are checked too: their status is shown
    and they may be enabled at any moment. Every checker asks on every tick, so
    this reads only the columns it returns: no ORM objects, no timestamps to parse.
    """
    region, fingerprint = a.region, _fingerprint(ctx)
    if a.known == fingerprint:
        return {"unchanged": True, "fingerprint": fingerprint}
    # Plain rows through the connection (an ORM result costs several times more per
    # row), one per check: at 10,000 GSLBs this reads 25,000 checks per region.
    db, decoded = ctx.session.connection(), _Decoded()
    rows = db.execute(ctx.list_scoped(
        select(*_MEMBER_COLUMNS, PoolMonitorRow.monitor_id, PoolMonitorRow.position,
               _as_text(PoolRow.regions))
        .join(PoolMonitorRow, PoolMonitorRow.pool_id == MemberRow.pool_id)
        .join(PoolRow, PoolRow.id == MemberRow.pool_id), PoolRow)).all()
    rows.sort(key=lambda r: (r.id, r.position))
    checks = []
    for (mid_, pool_id, project_id, mtype, address, endpoints, port, member_region,
         neutron_id, monitor_id, _position, regions) in rows:
        regions = decoded[regions]
        if regions is not None and region not in regions:
            continue
        endpoints = list(decoded[endpoints] or [])
        checks.append({
            "member_id": mid_, "pool_id": pool_id, "project_id": project_id,
            "member_type": mtype, "address": address if mtype == "IP" else
            (endpoints[0] if endpoints else None), "endpoints": endpoints, "port": port,
            "member_region": member_region, "neutron_id": neutron_id, "monitor_id": monitor_id})
    monitor_ids = sorted({c["monitor_id"] for c in checks})
    monitors: list[dict[str, Any]] = []
    for i in range(0, len(monitor_ids), 500):
        for row in db.execute(select(*_MONITOR_COLUMNS).where(
                MonitorRow.id.in_(monitor_ids[i:i + 500]))):
            monitor = dict(zip(_MONITOR_SPEC, row, strict=True))
            for key in _MONITOR_JSON:
                monitor[key] = decoded[monitor[key]]
            monitors.append(monitor)
    return {"checks": checks, "monitors": monitors, "fingerprint": fingerprint}


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
