"""The engine's lag per checker region: recorded by the engine, shown in ``gslb.status``."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from kosmos.contracts.operations import (ENGINE_LAG, LagArgs)
from kosmos.conductor.db.bulk import insert_for
from kosmos.conductor.db.models import EngineLagRow
from kosmos.conductor.ops.common import OpContext, op

# A region's name as Keystone allows it, without control characters.


@op(ENGINE_LAG)
def engine_lag(ctx: OpContext, a: LagArgs) -> dict[str, Any]:
    table = EngineLagRow.__table__
    values = {"region": a.region, "lag_s": a.lag_s, "stale_results": a.stale_results,
              "observed_at": a.observed_at}
    stmt = insert_for(ctx.dialect, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["region"],
        set_={c: stmt.excluded[c] for c in ("lag_s", "stale_results", "observed_at")},
        where=table.c.observed_at < stmt.excluded.observed_at,   # a late call changes nothing
    ).returning(table.c.region)
    return {"recorded": bool(ctx.session.execute(stmt, values).all())}


def lag_records(ctx: OpContext) -> list[EngineLagRow]:
    """Every region's last record, by region."""
    return list(ctx.session.scalars(select(EngineLagRow).order_by(EngineLagRow.region)))


def lag_rows(records: list[EngineLagRow]) -> list[dict[str, Any]]:
    """``records`` as ``gslb.status`` shows them."""
    return [{"region": r.region, "lag_s": r.lag_s, "stale_results": r.stale_results,
             "observed_at": r.observed_at.isoformat().replace("+00:00", "Z")} for r in records]


def watermark_at(records: list[EngineLagRow], now: datetime, window: timedelta) -> datetime | None:
    """The engine's watermark as its records tell it (``kosmos.engine.watermark``): now
    less the smallest lag recorded within ``window``; None without such a record."""
    recent = [r.lag_s for r in records if now - r.observed_at <= window]
    return now - timedelta(seconds=min(recent)) if recent else None
