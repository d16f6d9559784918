"""The conductor's one entry: envelope in, ``(status, body)`` out.

Validates the envelope of ``kosmos.contracts.conductor``, runs the operation
in one transaction, and maps every outcome to the wire: ``{"result": ...}``
with 200, or ``KosmosError.to_wire()`` with the error's code. Only unexpected
exceptions are logged with a stack trace; they answer a bare 500.

A write that may change answers (``ops.changes.note_change``) is handed to the
``notify`` callable once its transaction has committed (the engine is told
through ``kosmos.engine.decide``). A notice that cannot be sent does not undo
or fail the write: it is logged, and the periodic reconcile is the backstop.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import exc as sa_exc

from kosmos.conductor.db.engine import TransactionUndone
from kosmos.conductor.db.session import Database
from kosmos.conductor.ops import OPS, OpContext
from kosmos.conductor.ops.common import parse
from kosmos.conductor.ops.changes import ChangeNote
from kosmos.contracts.common import nul_path, utcnow
from kosmos.contracts.conductor import CallContext, ConductorRequest
from kosmos.errors import Conflict, KosmosError, ValidationError, from_pydantic

log = logging.getLogger("kosmos.conductor")

Handler = Callable[[dict[str, Any]], "tuple[int, dict[str, Any]]"]
Notify = Callable[[str, CallContext, ChangeNote], None]


def parse_envelope(envelope: Any) -> ConductorRequest:
    if not isinstance(envelope, dict):
        raise ValidationError("the request body must be a JSON object", field="body")
    try:
        request = ConductorRequest.model_validate(envelope)
    except Exception as exc:  # pydantic's ValidationError; named by field below
        if hasattr(exc, "errors"):
            raise from_pydantic(exc) from None
        raise
    if request.op not in OPS:
        raise ValidationError(f"unknown operation {request.op!r}", field="op")
    where = nul_path(request.args)
    if where:   # never into the database, whoever the caller
        raise ValidationError(f"{where}: must not contain a NUL character", field=where)
    return request


def handle(envelope: Any, database: Database, stale_intervals: float = 3.0,
           notify: Notify | None = None) -> tuple[int, dict[str, Any]]:
    """Run one operation; never raises."""
    started = time.perf_counter()
    op_name = envelope.get("op") if isinstance(envelope, dict) else None
    context = envelope.get("context") if isinstance(envelope, dict) else None
    ids = {"op": op_name}
    if isinstance(context, dict):
        ids.update(request_id=context.get("request_id"), project_id=context.get("project_id"))
    try:
        request = parse_envelope(envelope)
        result, change = _run(request, database, stale_intervals)
        status, body = 200, {"result": result}
        if change is not None and notify is not None:
            _notify(notify, request, change, ids)
    except KosmosError as exc:
        status, body = exc.code, exc.to_wire()
    except Exception:
        log.exception("conductor operation failed", extra=ids)
        status, body = 500, KosmosError("internal error in the conductor").to_wire()
    log.debug("conductor call", extra={
        **ids, "status": status, "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
    return status, body


def _notify(notify: Notify, request: ConductorRequest, change: ChangeNote,
            ids: dict[str, Any]) -> None:
    try:
        notify(request.op, request.context, change)
    except Exception as exc:  # noqa: BLE001 - the write stands; reconcile catches up
        log.warning("could not tell the engine about %s: %s", request.op, exc,
                    extra={**ids, "gslb_ids": sorted(change.gslb_ids)[:20]})


#: Runs of a transaction the database undid (a deadlock's victim) before the caller
#: is told to retry (a StaleVersion: 409).
UNDONE_ATTEMPTS = 3


def _run(request: ConductorRequest, database: Database,
         stale_intervals: float) -> tuple[Any, ChangeNote | None]:
    replayed = undone = 0
    while True:
        try:
            operation, handler = OPS[request.op]
            with (database.reading() if operation.reads_only else database.transaction()) as session:
                ctx = OpContext(session=session, call=request.context, now=utcnow(),
                                dialect=session.get_bind().dialect.name,
                                stale_intervals=stale_intervals)
                result = handler(ctx, parse(operation.args, request.args))
            return result, ctx.change   # committed
        except TransactionUndone:
            undone += 1
            if undone >= UNDONE_ATTEMPTS:
                raise
        except Conflict as exc:
            # Two deliveries of one create raced and the other inserted first: run it
            # again, and it finds the stored row and answers as a replay would.
            replayed += 1
            if replayed == 2 or not (request.op.endswith(".create")
                                     and isinstance(exc.__cause__, sa_exc.IntegrityError)):
                raise


def make_handler(database: Database, stale_intervals: float = 3.0,
                 notify: Notify | None = None) -> Handler:
    def handler(envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return handle(envelope, database, stale_intervals, notify)
    handler.database = database  # type: ignore[attr-defined]
    return handler
