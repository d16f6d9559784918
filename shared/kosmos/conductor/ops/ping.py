"""conductor.ping: the conductor and its database answer (the api's /healthcheck)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import text

from kosmos.conductor.ops.common import OpContext, op, parse
from kosmos.contracts.common import StrictModel


@op("conductor.ping")
def ping(ctx: OpContext, args: dict[str, Any]) -> dict[str, Any]:
    parse(StrictModel, args)
    ctx.session.execute(text("SELECT 1"))
    return {"database": "ok"}
