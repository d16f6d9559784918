"""monitor.* operations."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, select

from kosmos.contracts.operations import (UpdateArgs, CreateArgs, IdArgs, ListArgs, crud)
from kosmos.conductor.db.models import HealthStateRow, MonitorRow, PoolMonitorRow
from kosmos.conductor.listing import COMMON_FIELDS, COMMON_SORTS, page
from kosmos.conductor.ops.quotas import check_create
from kosmos.conductor.ops.common import (OpContext, apply, get_row,
                                         merged_update, new_id, op, parse, record, records)
from kosmos.probes.registry import validate_options
from kosmos.conductor.ops.changes import gslbs_using_monitor, note_change
from kosmos.contracts.resources import MonitorCreate, MonitorUpdate
from kosmos.errors import Conflict

KIND = "monitor"
FILTERS = COMMON_FIELDS + ("type", "delay", "port", "http_method", "url_path", "insecure")
SORTS = COMMON_SORTS + ("type", "delay")


def _create_values(row: MonitorRow) -> dict[str, Any]:
    """The stored monitor as a MonitorCreate body (for re-validating updates)."""
    rec = record(KIND, row)
    return {k: rec[k] for k in MonitorCreate.model_fields if k in rec}


@op(crud("monitor", "create"))
def create(ctx: OpContext, a: CreateArgs) -> dict[str, Any]:
    data = parse(MonitorCreate, a.values).model_dump(mode="json")
    data["options"] = validate_options(data["type"], data["options"])
    row_id = new_id(a.id)
    replay = check_create(ctx, MonitorRow, row_id, KIND, data)
    if replay is not None:
        return replay
    row = MonitorRow(id=row_id, project_id=ctx.owner(), created_at=ctx.now, updated_at=ctx.now,
                     operating_status="ONLINE", **data)
    ctx.session.add(row)
    ctx.session.flush()
    return record(KIND, row)


@op(crud("monitor", "get"))
def get(ctx: OpContext, args: IdArgs) -> dict[str, Any]:
    return record(KIND, get_row(ctx, MonitorRow, args.id, KIND))


@op(crud("monitor", "list"))
def list_(ctx: OpContext, a: ListArgs) -> dict[str, Any]:
    rows, marker = page(ctx, ctx.list_scoped(select(MonitorRow), MonitorRow), MonitorRow, a,
                        FILTERS, SORTS)
    return {"items": records(KIND, rows), "next_marker": marker}


@op(crud("monitor", "update"))
def update(ctx: OpContext, args: UpdateArgs) -> dict[str, Any]:
    row, data = merged_update(ctx, args, MonitorRow, KIND, MonitorUpdate, MonitorCreate,
                              _create_values)
    data["options"] = validate_options(data["type"], data["options"])
    if apply(ctx, row, data):
        ctx.session.flush()
        note_change(ctx, KIND, row.id, gslbs_using_monitor(ctx, row.id))
    return record(KIND, row)


@op(crud("monitor", "delete"))
def delete_(ctx: OpContext, args: IdArgs) -> None:
    row = get_row(ctx, MonitorRow, args.id, KIND)
    in_use = ctx.session.scalar(select(exists().where(PoolMonitorRow.monitor_id == row.id)))
    if in_use:
        raise Conflict(f"monitor {row.id} is used by a pool; remove it from the pool first")
    ctx.session.execute(delete(HealthStateRow).where(HealthStateRow.monitor_id == row.id))
    ctx.session.delete(row)
    ctx.session.flush()
    return None
