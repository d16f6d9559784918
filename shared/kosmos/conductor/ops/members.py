"""member.* operations (pool members).

An IP member's endpoints are its address; a neutron member's endpoints are
discovered by the checker (``endpoints.set``) and start empty and PENDING.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from kosmos.contracts.operations import (UpdateArgs, CreateArgs, IdArgs, MEMBER_MONITORS, MemberListArgs, crud)
from kosmos.domain.rollup import DEGRADED, NO_MONITOR
from kosmos.conductor.db.models import HealthStateRow, MemberRow, PoolRow
from kosmos.conductor.listing import COMMON_FIELDS, COMMON_SORTS, page
from kosmos.conductor.ops.quotas import check_create
from kosmos.conductor.ops.common import (OpContext, apply, get_row,
                                         merged_update, new_id, op, parse, record, records)
from kosmos.conductor.ops.changes import gslbs_using_pools, note_change
from kosmos.conductor.ops.pools import monitors_of
from kosmos.conductor.ops.status import refresh_pools
from kosmos.contracts.resources import MemberCreate, MemberUpdate
from kosmos.errors import ValidationError

KIND = "member"
FILTERS = COMMON_FIELDS + ("pool_id", "type", "address", "port", "region", "neutron_id",
                           "weight", "admin_state_up", "endpoints_status")
SORTS = COMMON_SORTS + ("type", "port", "weight")
_PARAMS = ("type", "address", "region", "neutron_id")


def _endpoints(data: dict[str, Any]) -> dict[str, Any]:
    if data["type"] == "IP":
        return {"endpoints": [data["address"]], "endpoints_status": "OK",
                "endpoints_reason": None}
    return {"endpoints": [], "endpoints_status": "PENDING",
            "endpoints_reason": "not resolved yet"}


def _create_values(row: MemberRow) -> dict[str, Any]:
    rec = record(KIND, row)
    return {k: rec[k] for k in MemberCreate.model_fields if k in rec}


@op(crud("member", "create"))
def create(ctx: OpContext, a: CreateArgs) -> dict[str, Any]:
    values = dict(a.values)
    pool_id = values.pop("pool_id", None)
    if not isinstance(pool_id, str) or not pool_id:
        raise ValidationError("pool_id is required", field="pool_id")
    data = parse(MemberCreate, values).model_dump(mode="json")
    row_id = new_id(a.id)
    replay = check_create(ctx, MemberRow, row_id, KIND, {**data, "pool_id": pool_id})
    if replay is not None:
        note_change(ctx, KIND, row_id, gslbs_using_pools(ctx, [pool_id]))
        return replay
    project = ctx.owner()
    pool_status = ctx.session.scalar(select(PoolRow.operating_status).where(
        PoolRow.id == pool_id, PoolRow.project_id == project))
    if pool_status is None:
        raise ValidationError(f"pool_id: pool {pool_id} does not exist", field="pool_id")
    row = MemberRow(id=row_id, project_id=project, pool_id=pool_id, created_at=ctx.now,
                    updated_at=ctx.now, **data, **_endpoints(data))
    ctx.session.add(row)
    ctx.session.flush()
    # A new member has no verdict yet: it cannot move a DEGRADED or NO_MONITOR pool.
    if data["admin_state_up"] and pool_status not in (DEGRADED, NO_MONITOR):
        refresh_pools(ctx, {pool_id})
    note_change(ctx, KIND, row.id, gslbs_using_pools(ctx, [pool_id]))
    return record(KIND, row)


@op(crud("member", "get"))
def get(ctx: OpContext, args: IdArgs) -> dict[str, Any]:
    return record(KIND, get_row(ctx, MemberRow, args.id, KIND))


@op(crud("member", "list"))
def list_(ctx: OpContext, a: MemberListArgs) -> dict[str, Any]:
    stmt = ctx.list_scoped(select(MemberRow), MemberRow)
    if a.pool_id is not None:
        stmt = stmt.where(MemberRow.pool_id == a.pool_id)
    rows, marker = page(ctx, stmt, MemberRow, a, FILTERS, SORTS)
    return {"items": records(KIND, rows), "next_marker": marker}


@op(crud("member", "update"))
def update(ctx: OpContext, args: UpdateArgs) -> dict[str, Any]:
    row, data = merged_update(ctx, args, MemberRow, KIND, MemberUpdate, MemberCreate,
                              _create_values)
    if any(data[k] != getattr(row, k) for k in _PARAMS):
        # What the member stands for changed: what was discovered for it is void.
        data.update(_endpoints(data))
    if apply(ctx, row, data):
        ctx.session.flush()
        refresh_pools(ctx, {row.pool_id})
        note_change(ctx, KIND, row.id, gslbs_using_pools(ctx, [row.pool_id]))
    return record(KIND, row)


@op(crud("member", "delete"))
def delete_(ctx: OpContext, args: IdArgs) -> None:
    row = get_row(ctx, MemberRow, args.id, KIND)
    ctx.session.execute(delete(HealthStateRow).where(HealthStateRow.member_id == row.id))
    ctx.session.delete(row)
    ctx.session.flush()
    refresh_pools(ctx, {row.pool_id})
    note_change(ctx, KIND, row.id, gslbs_using_pools(ctx, [row.pool_id]))
    return None


@op(MEMBER_MONITORS)
def monitors(ctx: OpContext, args: IdArgs) -> list[dict[str, Any]]:
    row = get_row(ctx, MemberRow, args.id, KIND)
    pool = ctx.session.get(PoolRow, row.pool_id)
    return monitors_of(ctx, pool.monitor_ids if pool else [])
