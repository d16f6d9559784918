"""The engine's lag per checker region: recorded by the engine, shown in ``gslb.status``."""
from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import select

from kosmos.conductor.db.bulk import insert_for
from kosmos.conductor.db.models import EngineLagRow
from kosmos.conductor.ops.common import OpContext, op, parse
from kosmos.contracts.common import StrictModel, UtcDatetime

# A region's name as Keystone allows it, without control characters.
REGION_PATTERN = r"^[^\x00-\x1f\x7f]{1,255}$"


class LagArgs(StrictModel):
    region: str = Field(..., pattern=REGION_PATTERN)
    lag_s: float = Field(..., ge=0, le=86400 * 365)
    stale_results: int = Field(0, ge=0, le=10_000_000)
    observed_at: UtcDatetime


@op("engine.lag")
def engine_lag(ctx: OpContext, args: dict[str, Any]) -> dict[str, Any]:
    a = parse(LagArgs, args)
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


def lag_rows(ctx: OpContext) -> list[dict[str, Any]]:
    """Every region's last record, by region."""
    return [{"region": r.region, "lag_s": r.lag_s, "stale_results": r.stale_results,
             "observed_at": r.observed_at.isoformat().replace("+00:00", "Z")}
            for r in ctx.session.scalars(select(EngineLagRow).order_by(EngineLagRow.region))]
