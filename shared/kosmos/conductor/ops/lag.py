"""The engine's lag per checker region: recorded by the engine, shown in ``gslb.status``."""
from __future__ import annotations

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


def lag_rows(ctx: OpContext) -> list[dict[str, Any]]:
    """Every region's last record, by region."""
    return [{"region": r.region, "lag_s": r.lag_s, "stale_results": r.stale_results,
             "observed_at": r.observed_at.isoformat().replace("+00:00", "Z")}
            for r in ctx.session.scalars(select(EngineLagRow).order_by(EngineLagRow.region))]
