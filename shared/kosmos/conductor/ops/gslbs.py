"""gslb.* operations. The fqdn is unique across projects (it is one DNS name).

Deleting a GSLB, or changing its fqdn, leaves a tombstone so the engine
removes the old name from the appliance; taking a tombstoned name again
clears its tombstone (the new GSLB will publish that name).
"""
from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from kosmos.contracts.operations import (UpdateArgs, CreateArgs, GSLB_POOLS, IdArgs, ListArgs, crud)
from kosmos.appliances.registry import unservable
from kosmos.conductor.db.models import GslbPoolRow, GslbRow, PoolMonitorRow, PoolRow, TombstoneRow
from kosmos.conductor.ops.changes import note_change
from kosmos.conductor.listing import COMMON_FIELDS, COMMON_SORTS, page
from kosmos.conductor.ops.quotas import check_create
from kosmos.conductor.ops.common import (OpContext, apply, by_id_params, get_row,
                                         merged_update, new_id, op, parse, record, records)
from kosmos.conductor.ops.status import refresh_gslbs
from kosmos.conductor.ops.failover import (TIMING_COLUMNS, add_failover, joined_to_timings,
                                           with_failover)
from kosmos.config import get_settings
from kosmos.contracts.resources import GslbCreate, GslbUpdate
from kosmos.errors import Conflict, NotFound, ValidationError

KIND = "gslb"
FILTERS = COMMON_FIELDS + ("fqdn", "zone_name", "ttl", "all_down", "appliance",
                           "publish_status", "routing")
SORTS = COMMON_SORTS + ("fqdn", "zone_name", "ttl")
COLUMNS = ("name", "description", "fqdn", "zone_name", "ttl", "all_down", "appliance",
           "routing", "max_answers", "slow_start")


def _ordered(pools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Links in the order they are stored and returned: by priority, then as listed."""
    return sorted(pools, key=lambda p: p["priority"])


def _check_servable(data: dict[str, Any]) -> None:
    """A 400 naming the field when the GSLB's appliance cannot serve its routing."""
    s = get_settings()
    name = data.get("appliance") or s.appliance
    wrong = unservable(name, data["routing"], data.get("max_answers"), s)
    if wrong is not None:
        raise ValidationError(f"{wrong[0]}: {wrong[1]}", field=wrong[0])


def _check_fqdn(ctx: OpContext, fqdn: str, gslb_id: str) -> None:
    other = ctx.session.scalar(select(GslbRow.id).where(GslbRow.fqdn == fqdn, GslbRow.id != gslb_id))
    if other is not None:
        raise Conflict(f"fqdn {fqdn} is already used by another GSLB", field="fqdn")


def _check_pools(ctx: OpContext, project_id: str, pools: list[dict[str, Any]]) -> None:
    ids = [p["pool_id"] for p in pools]
    if not ids:
        return
    found = set(ctx.session.scalars(select(PoolRow.id).where(
        PoolRow.id.in_(ids), PoolRow.project_id == project_id)))
    for i, pid in enumerate(ids):
        if pid not in found:
            raise ValidationError(f"pools[{i}].pool_id: pool {pid} does not exist",
                                  field=f"pools[{i}].pool_id")


def _set_pools(ctx: OpContext, row: GslbRow, pools: list[dict[str, Any]]) -> bool:
    if row.pools == pools:
        return False
    keep = {link.pool_id: link for link in row.pool_links}
    wanted = {p["pool_id"] for p in pools}
    for pid in [pid for pid in keep if pid not in wanted]:
        row.pool_links.remove(keep.pop(pid))
    for position, ref in enumerate(pools):
        link = keep.get(ref["pool_id"])
        if link is None:
            row.pool_links.append(GslbPoolRow(
                pool_id=ref["pool_id"], priority=ref["priority"], position=position,
                project_id=row.project_id, created_at=ctx.now, updated_at=ctx.now))
        elif (link.priority, link.position) != (ref["priority"], position):
            link.priority, link.position, link.updated_at = ref["priority"], position, ctx.now
    return True


def _tombstone(ctx: OpContext, row: GslbRow) -> None:
    ctx.session.add(TombstoneRow(
        id=str(uuid.uuid4()), project_id=row.project_id, gslb_id=row.id, fqdn=row.fqdn,
        zone_name=row.zone_name, appliance=row.appliance, created_at=ctx.now, updated_at=ctx.now))


def _clear_tombstones(ctx: OpContext, fqdn: str) -> None:
    ctx.session.execute(delete(TombstoneRow).where(TombstoneRow.fqdn == fqdn))


@op(crud("gslb", "create"))
def create(ctx: OpContext, a: CreateArgs) -> dict[str, Any]:
    data = parse(GslbCreate, a.values).model_dump(mode="json")
    data["pools"] = _ordered(data["pools"])
    row_id = new_id(a.id)
    replay = check_create(ctx, GslbRow, row_id, KIND, data)
    if replay is not None:
        # A retried create may follow one whose notice was lost: notice it again.
        note_change(ctx, KIND, row_id, [row_id])
        return with_failover(ctx, [replay])[0]
    project = ctx.owner()
    _check_servable(data)
    _check_pools(ctx, project, data["pools"])
    _check_fqdn(ctx, data["fqdn"], row_id)
    _clear_tombstones(ctx, data["fqdn"])
    row = GslbRow(id=row_id, project_id=project, created_at=ctx.now, updated_at=ctx.now,
                  **{k: data[k] for k in COLUMNS})
    ctx.session.add(row)
    _set_pools(ctx, row, data["pools"])
    ctx.session.flush()
    refresh_gslbs(ctx, {row.id})
    note_change(ctx, KIND, row.id, [row.id])
    return with_failover(ctx, [record(KIND, row)])[0]


@lru_cache(maxsize=2)
def _with_timings(scoped: bool) -> Select[Any]:
    """A GSLB, its pool links and its monitors' timings (``TIMING_COLUMNS``) in one
    statement, a row per link and monitor, links in their order: a GSLB get is one round
    trip, not two. Built once (and once scoped to the caller's project)."""
    stmt = (joined_to_timings(select(GslbRow, GslbPoolRow, *TIMING_COLUMNS[2:])
                              .outerjoin(GslbPoolRow, GslbPoolRow.gslb_id == GslbRow.id),
                              outer=True)
            .where(GslbRow.id == bindparam("row_id"))
            .order_by(GslbPoolRow.priority, GslbPoolRow.position, PoolMonitorRow.position)
            .options(lazyload(GslbRow.pool_links)))   # set from these rows (``get``)
    return stmt.where(GslbRow.project_id == bindparam("project_id")) if scoped else stmt


@op(crud("gslb", "get"))
def get(ctx: OpContext, args: IdArgs) -> dict[str, Any]:
    params, scoped = by_id_params(ctx, args.id)
    rows = ctx.session.execute(_with_timings(scoped), params).all()
    if not rows:
        raise NotFound(f"{KIND} {args.id} not found")
    row = rows[0][0]
    links = list({id(link): link for _, link, *_ in rows if link is not None}.values())
    set_committed_value(row, "pool_links", links)   # as read: no second load
    timings = [(row.id, link.pool_id, *timing) for _, link, *timing in rows
               if timing[1] is not None]
    return add_failover([record(KIND, row)], timings)[0]


@op(crud("gslb", "list"))
def list_(ctx: OpContext, a: ListArgs) -> dict[str, Any]:
    rows, marker = page(ctx, ctx.list_scoped(select(GslbRow), GslbRow), GslbRow, a,
                        FILTERS, SORTS)
    return {"items": with_failover(ctx, records(KIND, rows)), "next_marker": marker}


@op(crud("gslb", "update"))
def update(ctx: OpContext, args: UpdateArgs) -> dict[str, Any]:
    row, data = merged_update(ctx, args, GslbRow, KIND, GslbUpdate, GslbCreate,
                              lambda r: {k: getattr(r, k) for k in COLUMNS} | {"pools": r.pools})
    data["pools"] = _ordered(data["pools"])
    _check_servable(data)
    _check_pools(ctx, row.project_id, data["pools"])
    if data["fqdn"] != row.fqdn:
        _check_fqdn(ctx, data["fqdn"], row.id)
        _tombstone(ctx, row)
        _clear_tombstones(ctx, data["fqdn"])
    changed = apply(ctx, row, {k: data[k] for k in COLUMNS})
    if _set_pools(ctx, row, data["pools"]):
        row.updated_at = ctx.now  # the links are part of the GSLB: bump its version
        changed = True
    if changed:
        ctx.session.flush()
        refresh_gslbs(ctx, {row.id})
        note_change(ctx, KIND, row.id, [row.id])
    return with_failover(ctx, [record(KIND, row)])[0]


@op(crud("gslb", "delete"))
def delete_(ctx: OpContext, args: IdArgs) -> None:
    row = get_row(ctx, GslbRow, args.id, KIND)
    _tombstone(ctx, row)
    ctx.session.delete(row)
    ctx.session.flush()
    note_change(ctx, KIND, row.id, [row.id])   # the engine removes the name now
    return None


@op(GSLB_POOLS)
def pools(ctx: OpContext, args: IdArgs) -> list[dict[str, Any]]:
    row = get_row(ctx, GslbRow, args.id, KIND)
    ids = [link.pool_id for link in row.pool_links]
    by_id = {p.id: p for p in ctx.session.scalars(select(PoolRow).where(PoolRow.id.in_(ids)))}
    return [{"pool": record("pool", by_id[link.pool_id]), "priority": link.priority}
            for link in row.pool_links if link.pool_id in by_id]
