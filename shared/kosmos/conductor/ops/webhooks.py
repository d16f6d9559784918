"""webhook.* operations, and the outbox that turns stored changes into deliveries.

``notify_history`` and ``notify_publish_failed`` run inside the transaction
that stores a change: each webhook of the change's project subscribed to its
type gets one delivery row, whose id (the CloudEvent id) is derived from the
change, so a change stored twice (a redelivered event) owes one notification.
The engine claims due rows (``webhook.deliveries.due``), POSTs them and
reports each outcome (``webhook.deliveries.report``): 2xx is delivered,
anything else is retried with a growing backoff until
``settings.webhook_max_attempts``, then given up (FAILED).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import delete, select

from kosmos.contracts.operations import (UpdateArgs, CreateArgs, DeliveriesArgs, DeliveriesDueArgs, DeliveriesReportArgs, IdArgs, ListArgs, WEBHOOK_DELIVERIES, WEBHOOK_DUE, WEBHOOK_REPORT, crud)
from kosmos.probes.guard import Guard
from kosmos.conductor.db.bulk import insert_for
from kosmos.conductor.db.models import WebhookDeliveryRow, WebhookRow
from kosmos.conductor.listing import COMMON_SORTS, page
from kosmos.conductor.ops.quotas import check_create
from kosmos.conductor.ops.common import (OpContext, apply, get_row,
                                         merged_update, new_id, op, parse, record, records)
from kosmos.config import get_settings
from kosmos.contracts.webhooks import (DeliveryStatus, WebhookCreate,
                                       WebhookDelivery, WebhookEvent, WebhookUpdate, cloud_event,
                                       host_address)
from kosmos.errors import ValidationError

KIND = "webhook"
FILTERS = ("id", "project_id", "name", "url")
_EVENT_IDS = uuid.UUID("0f8a3c1e-5d2b-4c7a-9e61-7b3d2a4f8c90")
SOURCE = "kosmos"


def _check_guard(url: str) -> None:
    """A literal address the probe guard refuses is refused here too (names are
    resolved and checked at each delivery)."""
    address = host_address(url)
    if address is None:
        return
    why = Guard.from_settings(get_settings()).refusal(address)
    if why:
        raise ValidationError(f"url: {why}", field="url")


def _create_values(row: WebhookRow) -> dict[str, Any]:
    return {"name": row.name, "description": row.description, "url": row.url,
            "events": list(row.events), "secret": row.secret}


@op(crud("webhook", "create"))
def create(ctx: OpContext, a: CreateArgs) -> dict[str, Any]:
    data = parse(WebhookCreate, a.values).model_dump(mode="json")
    _check_guard(data["url"])
    row_id = new_id(a.id)
    replay = check_create(ctx, WebhookRow, row_id, KIND,
                          {k: v for k, v in data.items() if k != "secret"})
    if replay is not None:
        return replay
    row = WebhookRow(id=row_id, project_id=ctx.owner(), created_at=ctx.now, updated_at=ctx.now,
                     provisioning_status="ACTIVE", operating_status="ONLINE", **data)
    ctx.session.add(row)
    ctx.session.flush()
    return record(KIND, row)


@op(crud("webhook", "get"))
def get(ctx: OpContext, args: IdArgs) -> dict[str, Any]:
    return record(KIND, get_row(ctx, WebhookRow, args.id, KIND))


@op(crud("webhook", "list"))
def list_(ctx: OpContext, a: ListArgs) -> dict[str, Any]:
    rows, marker = page(ctx, ctx.list_scoped(select(WebhookRow), WebhookRow), WebhookRow, a,
                        FILTERS, COMMON_SORTS)
    return {"items": records(KIND, rows), "next_marker": marker}


@op(crud("webhook", "update"))
def update_(ctx: OpContext, args: UpdateArgs) -> dict[str, Any]:
    row, data = merged_update(ctx, args, WebhookRow, KIND, WebhookUpdate, WebhookCreate,
                              _create_values)
    _check_guard(data["url"])
    if apply(ctx, row, data):
        ctx.session.flush()
    return record(KIND, row)


@op(crud("webhook", "delete"))
def delete_(ctx: OpContext, args: IdArgs) -> None:
    row = get_row(ctx, WebhookRow, args.id, KIND)
    ctx.session.execute(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.webhook_id == row.id))
    ctx.session.delete(row)
    ctx.session.flush()
    return None


@op(WEBHOOK_DELIVERIES)
def deliveries(ctx: OpContext, a: DeliveriesArgs) -> dict[str, Any]:
    """A webhook's latest deliveries, newest first."""
    hook = get_row(ctx, WebhookRow, a.id, KIND)
    rows = ctx.session.scalars(select(WebhookDeliveryRow).where(
        WebhookDeliveryRow.webhook_id == hook.id).order_by(
        WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id.desc()).limit(a.limit))
    return {"items": [WebhookDelivery.model_validate(r).model_dump(mode="json") for r in rows]}


# ---------------------------------------------------------------- the outbox
def _event_of(h: dict[str, Any]) -> WebhookEvent:
    if h["subject_type"] == "member":
        return WebhookEvent.MEMBER_STATUS_CHANGED
    return WebhookEvent.BREAKER_HELD if h["to_state"] == "HELD" else WebhookEvent.ANSWER_CHANGED


def _history_data(h: dict[str, Any]) -> dict[str, Any]:
    ev = h.get("evidence") or {}
    data: dict[str, Any] = {"gslb_id": h.get("gslb_id"), "from": h.get("from_state"),
                            "to": h["to_state"], "reason": h["reason"],
                            "time": h["time"].isoformat()}
    if h["subject_type"] == "member":
        data.update(member_id=h.get("member_id") or h["subject_id"])
    elif h["to_state"] == "HELD":
        data.update(answers=ev.get("answers"), would_publish=ev.get("would_publish"),
                    breaker=ev.get("breaker"))
    else:
        data.update(answers_from=ev.get("answers_from"), answers_to=ev.get("answers_to"),
                    rule=ev.get("rule"))
    return {k: v for k, v in data.items() if v is not None}


def _subscribers(ctx: OpContext, projects: Iterable[str]) -> dict[str, list[WebhookRow]]:
    wanted = set(projects)
    if not wanted:
        return {}
    out: dict[str, list[WebhookRow]] = {}
    for hook in ctx.session.scalars(select(WebhookRow).where(WebhookRow.project_id.in_(wanted))):
        out.setdefault(hook.project_id, []).append(hook)
    return out


def _enqueue(ctx: OpContext, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    table = WebhookDeliveryRow.__table__
    stmt = insert_for(ctx.dialect, table).on_conflict_do_nothing(index_elements=["id"])
    ctx.session.execute(stmt, rows)
    return len(rows)


def _delivery(ctx: OpContext, hook: WebhookRow, event: WebhookEvent, key: str, subject: str,
              time: datetime, data: dict[str, Any]) -> dict[str, Any]:
    event_id = str(uuid.uuid5(_EVENT_IDS, f"{hook.id}/{key}"))
    return {"id": event_id, "webhook_id": hook.id, "project_id": hook.project_id,
            "event_type": event.value, "subject": subject,
            "body": cloud_event(event_id, event, SOURCE, subject, time.isoformat(), data),
            "status": DeliveryStatus.PENDING.value, "attempts": 0, "next_attempt_at": ctx.now,
            "created_at": ctx.now, "updated_at": ctx.now, "version": 1}


def notify_history(ctx: OpContext, entries: list[dict[str, Any]]) -> int:
    """Deliveries owed for newly stored history entries (their ``history`` rows as
    inserted); one query when nobody listens."""
    hooks = _subscribers(ctx, {h["project_id"] for h in entries})
    rows = []
    for h in entries:
        event = _event_of(h)
        for hook in hooks.get(h["project_id"], []):
            if event.value in hook.events:
                rows.append(_delivery(ctx, hook, event, f"history/{h.get('dedupe_key') or h['id']}",
                                      h.get("gslb_id") or h["subject_id"], h["time"],
                                      _history_data(h)))
    return _enqueue(ctx, rows)


def notify_publish_failed(ctx: OpContext, failures: list[tuple[str, str, str]]) -> int:
    """Deliveries owed for GSLBs whose publish just failed: (project, gslb id, reason)."""
    hooks = _subscribers(ctx, {p for p, _, _ in failures})
    rows = [_delivery(ctx, hook, WebhookEvent.PUBLISH_FAILED,
                      f"publish.failed/{gslb_id}/{ctx.now.isoformat()}", gslb_id, ctx.now,
                      {"gslb_id": gslb_id, "reason": reason})
            for project, gslb_id, reason in failures
            for hook in hooks.get(project, []) if WebhookEvent.PUBLISH_FAILED.value in hook.events]
    return _enqueue(ctx, rows)


# ---------------------------------------------------------------- delivery
def _next_due(ctx: OpContext) -> str | None:
    when = ctx.session.scalar(select(WebhookDeliveryRow.next_attempt_at).where(
        WebhookDeliveryRow.status == DeliveryStatus.PENDING.value).order_by(
        WebhookDeliveryRow.next_attempt_at).limit(1))
    return when.isoformat() if when else None


@op(WEBHOOK_DUE)
def deliveries_due(ctx: OpContext, a: DeliveriesDueArgs) -> dict[str, Any]:
    """Claim up to ``limit`` due deliveries for ``lease_s`` (a sender that dies leaves
    them due again after it) and count the attempt; with each its URL, secret and body.
    ``next_due_at``: when the earliest delivery left waiting is due."""
    stmt = (select(WebhookDeliveryRow, WebhookRow.url, WebhookRow.secret)
            .join(WebhookRow, WebhookRow.id == WebhookDeliveryRow.webhook_id)
            .where(WebhookDeliveryRow.status == DeliveryStatus.PENDING.value,
                   WebhookDeliveryRow.next_attempt_at <= ctx.now)
            .order_by(WebhookDeliveryRow.next_attempt_at).limit(a.limit))
    # two senders never claim one delivery
    stmt = ctx.for_update(stmt, WebhookDeliveryRow, skip_locked=True, of=WebhookDeliveryRow)
    items = []
    for row, url, secret in ctx.session.execute(stmt).all():
        row.attempts += 1
        row.last_attempt_at = ctx.now
        row.next_attempt_at = ctx.now + timedelta(seconds=a.lease_s)
        items.append({"id": row.id, "url": url, "secret": secret, "body": row.body,
                      "attempt": row.attempts})
    ctx.session.flush()
    return {"items": items, "next_due_at": _next_due(ctx)}


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: 2, 6, 18 ... 3600."""
    return float(min(3600, 2 * 3 ** max(0, attempts - 1)))


@op(WEBHOOK_REPORT)
def deliveries_report(ctx: OpContext, args: DeliveriesReportArgs) -> dict[str, Any]:
    """Record attempts' outcomes; a delivery already settled is left as it is."""
    outcomes = args.outcomes
    limit = get_settings().webhook_max_attempts
    rows = {r.id: r for r in ctx.session.scalars(ctx.for_update(select(WebhookDeliveryRow).where(
        WebhookDeliveryRow.id.in_([o.id for o in outcomes])).order_by(WebhookDeliveryRow.id),
        WebhookDeliveryRow))}
    for o in outcomes:
        row = rows.get(o.id)
        if row is None or row.status != DeliveryStatus.PENDING.value:
            continue
        row.status_code, row.error = o.status_code, (o.error or None)
        if o.ok:
            row.status, row.delivered_at, row.next_attempt_at = \
                DeliveryStatus.DELIVERED.value, ctx.now, None
        elif row.attempts >= limit:
            row.status, row.next_attempt_at = DeliveryStatus.FAILED.value, None
        else:
            row.next_attempt_at = ctx.now + timedelta(seconds=backoff(row.attempts))
        row.updated_at = ctx.now
    ctx.session.flush()
    return {"next_due_at": _next_due(ctx)}
