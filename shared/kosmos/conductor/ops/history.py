"""history.* operations: the record of every state change, with its evidence."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, or_, select

from kosmos.contracts.operations import (HISTORY_APPEND, HISTORY_LIST, HistoryAppendArgs, HistoryListArgs)
from kosmos.conductor.db.bulk import insert_for
from kosmos.conductor.db.models import HistoryRow
from kosmos.conductor.ops import webhooks
from kosmos.conductor.ops.common import OpContext, op
from kosmos.contracts.history import HistoryEntry, HistoryEntryCreate
from kosmos.errors import ValidationError


def append(ctx: OpContext, entries: list[HistoryEntryCreate], field: str = "entries") -> int:
    """Insert entries in one statement; an entry whose ``dedupe_key`` is stored is skipped.

    Returns how many were new; the new ones owe their webhook deliveries
    (``webhooks.notify_history``), in the same transaction. Used inside other
    operations' transactions too.
    """
    if not entries:
        return 0
    rows = []
    for i, e in enumerate(entries):
        if not ctx.may_write_project(e.project_id):
            raise ValidationError(f"{field}[{i}].project_id: not the caller's project",
                                  field=f"{field}[{i}].project_id")
        rows.append({
            "id": str(uuid.uuid4()), "project_id": e.project_id, "gslb_id": e.gslb_id,
            "member_id": e.member_id, "subject_type": e.subject_type.value,
            "subject_id": e.subject_id, "time": e.time, "from_state": e.from_state,
            "to_state": e.to_state, "reason": e.reason, "evidence": e.evidence,
            "dedupe_key": e.dedupe_key, "created_at": ctx.now, "updated_at": ctx.now,
            "version": 1})
    table = HistoryRow.__table__
    stmt = insert_for(ctx.dialect, table).on_conflict_do_nothing(
        index_elements=["dedupe_key"]).returning(table.c.id)
    new = {r[0] for r in ctx.session.execute(stmt, rows).all()}
    webhooks.notify_history(ctx, [r for r in rows if r["id"] in new])
    return len(new)


@op(HISTORY_APPEND)
def history_append(ctx: OpContext, a: HistoryAppendArgs) -> dict[str, Any]:
    return {"appended": append(ctx, a.entries)}


@op(HISTORY_LIST)
def history_list(ctx: OpContext, a: HistoryListArgs) -> dict[str, Any]:
    """Newest first; the marker is the id of the last entry of the previous page."""
    stmt = ctx.list_scoped(select(HistoryRow), HistoryRow)
    if a.gslb_id is not None:
        stmt = stmt.where(HistoryRow.gslb_id == a.gslb_id)
    if a.member_id is not None:
        stmt = stmt.where(HistoryRow.member_id == a.member_id)
    if a.since is not None:
        stmt = stmt.where(HistoryRow.time >= a.since)
    if a.until is not None:
        stmt = stmt.where(HistoryRow.time <= a.until)
    if a.recorded_since is not None:
        stmt = stmt.where(HistoryRow.created_at >= a.recorded_since)
    if a.marker is not None:
        mark = ctx.session.execute(select(HistoryRow.time, HistoryRow.id).where(
            HistoryRow.id == a.marker)).first()
        if mark is None:
            raise ValidationError(f"marker {a.marker} is not a history entry", field="marker")
        mtime, mid = mark
        stmt = stmt.where(or_(HistoryRow.time < mtime,
                              and_(HistoryRow.time == mtime, HistoryRow.id < mid)))
    rows = list(ctx.session.scalars(
        stmt.order_by(HistoryRow.time.desc(), HistoryRow.id.desc()).limit(a.limit + 1)))
    next_marker = rows[a.limit - 1].id if len(rows) > a.limit else None
    items = [HistoryEntry.model_validate(r, from_attributes=True).model_dump(
        mode="json", by_alias=True) for r in rows[:a.limit]]
    return {"items": items, "next_marker": next_marker}
