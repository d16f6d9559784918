"""metrics.* operations: deployment-wide series (``kosmos.contracts.metrics``).

``count`` adds to a counter inside the caller's transaction (the change and
its count commit together); ``metrics.add`` takes an instance's buffered
updates; ``metrics.read`` returns every stored series plus gauges read from
the state itself (GSLBs by publish status, members by status, engine lag,
webhook deliveries by status).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kosmos.contracts.operations import (NoArgs, METRICS_ADD, METRICS_READ, MetricsAddArgs)
from kosmos.conductor.db.bulk import insert_for
from kosmos.conductor.db.models import (EngineLagRow, GslbRow, MemberRow, MetricRow,
                                        WebhookDeliveryRow)
from kosmos.conductor.ops.common import OpContext, op
from kosmos.contracts.metrics import SERIES, MetricUpdate, labels


def _upsert(ctx: OpContext, updates: list[MetricUpdate]) -> None:
    table = MetricRow.__table__
    for kind in ("counter", "gauge"):
        rows = [{"name": u.name, "labels": u.labels, "kind": kind, "value": u.value,
                 "updated_at": ctx.now} for u in updates if u.kind == kind]
        if not rows:
            continue
        stmt = insert_for(ctx.dialect, table)
        value = table.c.value + stmt.excluded.value if kind == "counter" else stmt.excluded.value
        ctx.session.execute(stmt.on_conflict_do_update(
            index_elements=["name", "labels"],
            set_={"value": value, "updated_at": stmt.excluded.updated_at}), rows)


def count(ctx: OpContext, name: str, value: float = 1.0, **label_values: str) -> None:
    """Add ``value`` to a counter in the caller's transaction."""
    if value:
        _upsert(ctx, [MetricUpdate(name=name, labels=labels(**label_values), value=value)])


@op(METRICS_ADD)
def metrics_add(ctx: OpContext, args: MetricsAddArgs) -> dict[str, Any]:
    updates = args.updates
    _upsert(ctx, updates)
    return {"added": len(updates)}


def _grouped(ctx: OpContext, column: Any, name: str, label: str) -> list[dict[str, Any]]:
    rows = ctx.session.execute(select(column, func.count()).group_by(column)).all()
    return [{"name": name, "labels": labels(**{label: str(v)}), "kind": "gauge",
             "value": float(n)} for v, n in rows]


@op(METRICS_READ)
def metrics_read(ctx: OpContext, args: NoArgs) -> dict[str, Any]:
    """Every series, each ``{name, labels, kind, value, help}``, sorted by name."""
    series = [{"name": r.name, "labels": r.labels, "kind": r.kind, "value": r.value}
              for r in ctx.session.scalars(select(MetricRow))]
    series += _grouped(ctx, GslbRow.publish_status, "kosmos_gslbs", "publish_status")
    series += _grouped(ctx, MemberRow.operating_status, "kosmos_members", "operating_status")
    series += _grouped(ctx, WebhookDeliveryRow.status, "kosmos_webhook_deliveries", "status")
    series += [{"name": "kosmos_engine_lag_seconds", "labels": labels(region=r.region),
                "kind": "gauge", "value": r.lag_s}
               for r in ctx.session.scalars(select(EngineLagRow))]
    helps = {**{k: v[1] for k, v in SERIES.items()},
             "kosmos_gslbs": "GSLBs by publish status",
             "kosmos_members": "Members by operating status",
             "kosmos_webhook_deliveries": "Webhook deliveries kept, by status",
             "kosmos_engine_lag_seconds": "How late each region's results reached the engine, "
                                          "last recorded"}
    for s in series:
        s["help"] = helps.get(s["name"], "")
    return {"series": sorted(series, key=lambda s: (s["name"], s["labels"]))}
