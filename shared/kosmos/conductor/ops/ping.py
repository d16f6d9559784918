"""conductor.ping: the conductor and its database answer (the api's /healthcheck)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import text

from kosmos.contracts.operations import (NoArgs, PING)
from kosmos.conductor.ops.common import OpContext, op


@op(PING)
def ping(ctx: OpContext, args: NoArgs) -> dict[str, Any]:
    ctx.session.execute(text("SELECT 1"))
    return {"database": "ok"}
