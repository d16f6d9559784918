"""pool.* operations; a pool's monitors are the ordered ``pool_monitors`` links."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import joinedload

from kosmos.contracts.operations import (UpdateArgs, CreateArgs, IdArgs, ListArgs, POOL_MONITORS, crud)
from kosmos.conductor.db.models import (GslbPoolRow, HealthStateRow, MemberRow, MonitorRow,
                                        PoolMonitorRow, PoolRow)
from kosmos.conductor.listing import COMMON_FIELDS, COMMON_SORTS, page
from kosmos.conductor.ops.quotas import check_create
from kosmos.conductor.ops.common import (OpContext, apply, get_row,
                                         merged_update, new_id, op, parse, record, records)
from kosmos.conductor.ops.changes import gslbs_using_pools, note_change
from kosmos.conductor.ops.status import refresh_pools
from kosmos.contracts.resources import PoolCreate, PoolUpdate
from kosmos.errors import Conflict, ValidationError

KIND = "pool"
FILTERS = COMMON_FIELDS
SORTS = COMMON_SORTS


def check_monitors(ctx: OpContext, project_id: str, monitor_ids: list[str]) -> None:
    """Every monitor id must name a monitor of the pool's project."""
    if not monitor_ids:
        return
    found = set(ctx.session.scalars(select(MonitorRow.id).where(
        MonitorRow.id.in_(monitor_ids), MonitorRow.project_id == project_id)))
    for mid in monitor_ids:
        if mid not in found:
            raise ValidationError(f"monitor_ids: monitor {mid} does not exist",
                                  field="monitor_ids")


def set_monitors(ctx: OpContext, row: PoolRow, monitor_ids: list[str]) -> bool:
    """Make the pool's links equal ``monitor_ids`` (in order); True when they changed."""
    if row.monitor_ids == monitor_ids:
        return False
    keep = {link.monitor_id: link for link in row.monitor_links}
    removed = [mid for mid in keep if mid not in monitor_ids]
    for mid in removed:
        row.monitor_links.remove(keep.pop(mid))
    for position, mid in enumerate(monitor_ids):
        link = keep.get(mid)
        if link is None:
            row.monitor_links.append(PoolMonitorRow(
                monitor_id=mid, position=position, project_id=row.project_id,
                created_at=ctx.now, updated_at=ctx.now))
        elif link.position != position:
            link.position, link.updated_at = position, ctx.now
    if removed:
        # A monitor no longer on the pool says nothing more about its members.
        members = select(MemberRow.id).where(MemberRow.pool_id == row.id)
        ctx.session.execute(delete(HealthStateRow).where(
            HealthStateRow.monitor_id.in_(removed), HealthStateRow.member_id.in_(members)))
    return True


def _create_values(row: PoolRow) -> dict[str, Any]:
    return {"name": row.name, "description": row.description,
            "monitor_ids": row.monitor_ids, "regions": row.regions,
            "client_subnets": list(row.client_subnets or [])}


@op(crud("pool", "create"))
def create(ctx: OpContext, a: CreateArgs) -> dict[str, Any]:
    data = parse(PoolCreate, a.values).model_dump(mode="json")
    row_id = new_id(a.id)
    replay = check_create(ctx, PoolRow, row_id, KIND, data)
    if replay is not None:
        return replay
    project = ctx.owner()
    check_monitors(ctx, project, data["monitor_ids"])
    row = PoolRow(id=row_id, project_id=project, created_at=ctx.now, updated_at=ctx.now,
                  name=data["name"], description=data["description"], regions=data["regions"],
                  client_subnets=data["client_subnets"])
    ctx.session.add(row)
    set_monitors(ctx, row, data["monitor_ids"])
    ctx.session.flush()
    refresh_pools(ctx, {row.id})
    return record(KIND, row)


#: a pool's monitor links read in the same statement as it (their own load is a second one)
WITH_LINKS = joinedload(PoolRow.monitor_links)


@op(crud("pool", "get"))
def get(ctx: OpContext, args: IdArgs) -> dict[str, Any]:
    return record(KIND, get_row(ctx, PoolRow, args.id, KIND, WITH_LINKS))


@op(crud("pool", "list"))
def list_(ctx: OpContext, a: ListArgs) -> dict[str, Any]:
    rows, marker = page(ctx, ctx.list_scoped(select(PoolRow), PoolRow), PoolRow, a,
                        FILTERS, SORTS)
    return {"items": records(KIND, rows), "next_marker": marker}


@op(crud("pool", "update"))
def update(ctx: OpContext, args: UpdateArgs) -> dict[str, Any]:
    row, data = merged_update(ctx, args, PoolRow, KIND, PoolUpdate, PoolCreate, _create_values)
    check_monitors(ctx, row.project_id, data["monitor_ids"])
    changed = apply(ctx, row, {k: data[k] for k in ("name", "description", "regions",
                                                     "client_subnets")})
    if set_monitors(ctx, row, data["monitor_ids"]):
        row.updated_at = ctx.now  # the links are part of the pool: bump its version
        changed = True
    if changed:
        ctx.session.flush()
        refresh_pools(ctx, {row.id})
        note_change(ctx, KIND, row.id, gslbs_using_pools(ctx, [row.id]))
    return record(KIND, row)


@op(crud("pool", "delete"))
def delete_(ctx: OpContext, args: IdArgs) -> None:
    row = get_row(ctx, PoolRow, args.id, KIND)
    if ctx.session.scalar(select(exists().where(GslbPoolRow.pool_id == row.id))):
        raise Conflict(f"pool {row.id} is used by a GSLB; remove it from the GSLB first")
    members = select(MemberRow.id).where(MemberRow.pool_id == row.id)
    ctx.session.execute(delete(HealthStateRow).where(HealthStateRow.member_id.in_(members)))
    ctx.session.execute(delete(MemberRow).where(MemberRow.pool_id == row.id))
    ctx.session.delete(row)
    ctx.session.flush()
    return None


@op(POOL_MONITORS)
def monitors(ctx: OpContext, args: IdArgs) -> list[dict[str, Any]]:
    row = get_row(ctx, PoolRow, args.id, KIND)
    return monitors_of(ctx, row.monitor_ids)


def monitors_of(ctx: OpContext, monitor_ids: list[str]) -> list[dict[str, Any]]:
    """The monitors in the pool's order."""
    by_id = {m.id: m for m in ctx.session.scalars(
        select(MonitorRow).where(MonitorRow.id.in_(monitor_ids)))} if monitor_ids else {}
    return [record("monitor", by_id[mid]) for mid in monitor_ids if mid in by_id]
