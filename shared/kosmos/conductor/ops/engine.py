"""The engine's operations: what it reads to decide, and what it publishes."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm.attributes import set_committed_value

from kosmos.contracts.operations import (AckArgs, ContextArgs, ENGINE_CONTEXT, GSLB_SET_ANSWERS, GSLB_TOMBSTONES, GSLB_TOMBSTONES_ACK, GSLB_TREES, GSLB_UNCONFIRMED, SetAnswersArgs, TombstonesArgs, TreesArgs, UnconfirmedArgs)
from kosmos.conductor.db.context_read import read_context
from kosmos.conductor.db.models import GslbRow, TombstoneRow
from kosmos.conductor.db.trees_read import read_trees
from kosmos.conductor.ops import history, metrics, webhooks
from kosmos.conductor.ops.common import OpContext, op, store_derived_many
from kosmos.contracts.common import iso
from kosmos.contracts.resources import PublishStatus
from kosmos.domain.breaker import held_back
from kosmos.domain.routing.route import Route
from kosmos.errors import ValidationError


@op(ENGINE_CONTEXT)
def engine_context(ctx: OpContext, a: ContextArgs) -> dict[str, Any]:
    """The members, their pools and monitors, every health row of the members, and the
    GSLBs using those pools. Unknown member ids are left out (deleted meanwhile)."""
    ids = sorted(set(a.member_ids))
    return read_context(ctx.session, ctx.dialect, ids, ctx.list_project(), a.states_only)


@op(GSLB_TREES)
def gslb_trees(ctx: OpContext, a: TreesArgs) -> dict[str, Any]:
    """GSLBs (by id) with their pools in priority order and the pools' members."""
    items, next_marker = read_trees(ctx.session, ctx.dialect, a.gslb_ids, ctx.list_project(),
                                    a.marker, a.limit)
    return {"items": items, "next_marker": next_marker}


#: what an item's history entries are about: an item changing none of these (another
#: engine instance stored the same outcome first) brings no history
_EVENTFUL = frozenset({"answers", "answer_route", "answer_reason", "publish_status",
                       "publish_reason"})


@op(GSLB_SET_ANSWERS)
def gslb_set_answers(ctx: OpContext, args: SetAnswersArgs) -> dict[str, Any]:
    """Store published answers, many GSLBs in one transaction; per GSLB only what
    changed is written, its history in the same transaction; an item that changes
    nothing (another engine instance stored the same outcome, or held the same
    answer, first) brings no history, so a concurrent cycle records no event
    twice. An unchanged answer
    keeps ``answers_changed_at``. The answer is derived, so storing it does not
    bump the GSLB's ``version``. GSLBs deleted meanwhile are named in ``missing``; those
    held by the circuit breaker since the item was decided (``decided_from``), in
    ``superseded``: a decision that did not know of the hold does not release it."""
    # Rows are updated in id order: two engine instances storing overlapping sets then
    # wait for each other instead of deadlocking.
    items = args.items
    # Read locked: of two instances storing the same outcome, the second sees the first's.
    rows = {r.id: r for r in ctx.session.scalars(ctx.for_update(ctx.scoped(
        select(GslbRow).where(GslbRow.id.in_({a.id for a in items})), GslbRow).order_by(GslbRow.id),
        GslbRow))}
    missing, superseded, entries, failed = [], [], [], []
    pending: dict[str, dict[str, Any]] = {}   # stored at once, in id order, once decided
    changed = held = 0
    for i in sorted(range(len(items)), key=lambda k: items[k].id):
        a = items[i]
        row = rows.get(a.id)
        if row is None:
            missing.append(a.id)
            continue
        if (row.publish_status == PublishStatus.HELD.value and a.publish_status != PublishStatus.HELD
                and a.decided_from not in (None, PublishStatus.HELD)):
            superseded.append(a.id)   # decided before another instance held it: the hold stands
            continue
        if (a.publish_status == PublishStatus.HELD and row.publish_status == PublishStatus.HELD.value
                and list(row.answers or []) == a.answers
                and held_back(row.publish_reason) == held_back(a.publish_reason)):
            continue   # another instance held it for this answer first: one event, not two
        wanted: dict[str, Any] = {"answer_reason": a.answer_reason,
                                  "publish_status": a.publish_status.value,
                                  "publish_reason": a.publish_reason}
        if a.published_at is not None:
            wanted["published_at"] = a.published_at
        changes = {k: v for k, v in wanted.items() if getattr(row, k) != v}
        if list(row.answers or []) != a.answers:
            changes.update(answers=list(a.answers), answers_changed_at=ctx.now)
        route = _route(a.route, f"items[{i}].route")
        if (row.answer_route or None) != route:
            changes["answer_route"] = route
        if changes:
            values = {**changes, "updated_at": ctx.now}
            pending[row.id] = {**pending.get(row.id, {}), **values}
            for key, value in values.items():   # a later item for this GSLB sees it
                set_committed_value(row, key, value)
            moved = changes.keys() & {"publish_status", "publish_reason"}
            if a.publish_status == PublishStatus.ERROR and moved:
                failed.append((row.project_id, row.id, a.publish_reason or ""))
            held += bool(a.publish_status == PublishStatus.HELD and moved)
            changed += "answers" in changes
        if changes.keys() & _EVENTFUL:
            entries.extend(a.history)   # else another instance stored this change: recorded
    store_derived_many(ctx, GslbRow, pending)
    history.append(ctx, entries, field="items.history")
    webhooks.notify_publish_failed(ctx, failed)
    metrics.count(ctx, "kosmos_answer_changes_total", changed)
    metrics.count(ctx, "kosmos_publish_errors_total", len(failed))
    metrics.count(ctx, "kosmos_breaker_holds_total", held)
    return {"stored": len(items) - len(missing) - len(superseded), "missing": missing,
            "superseded": superseded}


def _route(value: dict[str, Any] | None, field: str) -> dict[str, Any] | None:
    """The route as ``Route`` reads and writes it, or a ValidationError naming ``field``."""
    if value is None:
        return None
    try:
        return Route.from_dict(value).to_dict()
    except ValueError as exc:
        raise ValidationError(f"{field}: {exc}", field=field) from None


def _tombstone(t: TombstoneRow) -> dict[str, Any]:
    return {"id": t.id, "project_id": t.project_id, "gslb_id": t.gslb_id, "fqdn": t.fqdn,
            "zone_name": t.zone_name, "appliance": t.appliance,
            "created_at": iso(t.created_at)}


@op(GSLB_TOMBSTONES)
def gslb_tombstones(ctx: OpContext, args: TombstonesArgs) -> list[dict[str, Any]]:
    """Names still to remove from appliances, oldest first."""
    limit = args.limit
    rows = ctx.session.scalars(ctx.list_scoped(select(TombstoneRow), TombstoneRow).order_by(
        TombstoneRow.created_at, TombstoneRow.id).limit(limit))
    return [_tombstone(t) for t in rows]


@op(GSLB_TOMBSTONES_ACK)
def gslb_tombstones_ack(ctx: OpContext, args: AckArgs) -> dict[str, Any]:
    """Forget removed names; acking an unknown or already acked id is not an error."""
    ids = args.ids
    if not ids:
        return {"acked": 0}
    stmt = delete(TombstoneRow).where(TombstoneRow.id.in_(ids))
    project = ctx.list_project()
    if project is not None:
        stmt = stmt.where(TombstoneRow.project_id == project)
    return {"acked": ctx.session.execute(stmt).rowcount or 0}


@op(GSLB_UNCONFIRMED)
def gslb_unconfirmed(ctx: OpContext, args: UnconfirmedArgs) -> dict[str, Any]:
    """GSLBs pushed to an appliance that has not yet confirmed serving them (PENDING
    with a push time), the longest waiting first."""
    limit = args.limit
    rows = ctx.session.scalars(ctx.list_scoped(select(GslbRow.id), GslbRow).where(
        GslbRow.publish_status == PublishStatus.PENDING.value,
        GslbRow.published_at.is_not(None)).order_by(GslbRow.published_at, GslbRow.id).limit(limit))
    return {"ids": list(rows)}
