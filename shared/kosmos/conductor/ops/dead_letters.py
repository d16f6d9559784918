"""Dead letters: recorded from the platform's dead-letter sink, listed for admins."""
from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, select

from kosmos.conductor.db.bulk import insert_for
from kosmos.conductor.db.models import DeadLetterRow
from kosmos.conductor.ops.common import OpContext, op
from kosmos.contracts.common import iso
from kosmos.contracts.operations import (DEAD_LETTER_LIST, DEAD_LETTER_RECORD, DeadLetterListArgs,
                                         DeadLetterRecordArgs)
from kosmos.errors import Forbidden

#: Dead letters kept; the oldest go beyond it (a storm of them cannot fill the database).
KEEP = 10_000


def letter_id(source: str, event_id: str, destination: str | None) -> str:
    """One row per event (CloudEvents: source + id) and destination it failed to reach."""
    return hashlib.sha256(f"{source}\0{event_id}\0{destination or ''}".encode()).hexdigest()


@op(DEAD_LETTER_RECORD)
def record(ctx: OpContext, a: DeadLetterRecordArgs) -> dict[str, Any]:
    table = DeadLetterRow.__table__
    rows = [{"id": letter_id(x.source, x.event_id, x.destination), **x.model_dump(),
             "received_at": ctx.now} for x in a.letters]
    stmt = insert_for(ctx.dialect, table).on_conflict_do_nothing(index_elements=["id"])
    recorded = sum(ctx.session.execute(stmt, row).rowcount or 0 for row in rows)
    if recorded:
        keep_from = ctx.session.scalar(select(DeadLetterRow.received_at)
                                       .order_by(DeadLetterRow.received_at.desc())
                                       .offset(KEEP).limit(1))
        if keep_from is not None:
            ctx.session.execute(delete(DeadLetterRow).where(DeadLetterRow.received_at <= keep_from))
    return {"recorded": recorded}


@op(DEAD_LETTER_LIST)
def list_(ctx: OpContext, a: DeadLetterListArgs) -> dict[str, Any]:
    if not ctx.call.is_admin:
        raise Forbidden("only an admin reads dead letters")
    q = select(DeadLetterRow).order_by(DeadLetterRow.received_at.desc(), DeadLetterRow.id)
    if a.since is not None:
        q = q.where(DeadLetterRow.received_at >= a.since)
    return {"dead_letters": [
        {"id": r.id, "event_id": r.event_id, "event_type": r.event_type, "source": r.source,
         "subject": r.subject, "event_time": r.event_time, "destination": r.destination,
         "error_code": r.error_code, "error": r.error, "data": r.data,
         "received_at": iso(r.received_at)}
        for r in ctx.session.scalars(q.limit(a.limit))]}
