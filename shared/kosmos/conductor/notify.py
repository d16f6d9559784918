"""Tell the engine which GSLBs a committed write may change (``kosmos.engine.decide``).

The conductor is where every write commits, so it is the one place that
knows, for a member, pool or monitor change, which GSLBs use it. The notice
is sent after the commit; delivery is at-least-once and the engine decides
from what is stored when the event arrives, so a duplicate or late notice
only repeats an idempotent decision.
"""
from __future__ import annotations

from kosmos.adapters.emitter import Emitter
from kosmos.conductor.ops.changes import ChangeNote
from kosmos.contracts.common import utcnow
from kosmos.contracts.conductor import CallContext
from kosmos.contracts.events import ENGINE_DECIDE, ChangeCause, EngineDecide

#: GSLB ids per event (a monitor shared by thousands of GSLBs makes several events).
CHUNK = 500


class EngineNotifier:
    """The dispatcher's ``notify``: one ``kosmos.engine.decide`` per chunk of GSLB ids."""

    def __init__(self, emitter: Emitter, chunk: int = CHUNK):
        self.emitter = emitter
        self.chunk = chunk

    def __call__(self, op: str, call: CallContext, change: ChangeNote) -> None:
        cause = ChangeCause(op=op, resource=change.resource, resource_id=change.resource_id,
                            project_id=call.project_id, user_id=call.user_id,
                            request_id=call.request_id, at=utcnow())
        ids = sorted(change.gslb_ids)
        for i in range(0, len(ids), self.chunk):
            self.emitter.emit(ENGINE_DECIDE, EngineDecide(gslb_ids=ids[i:i + self.chunk],
                                                               cause=cause),
                                   subject=f"{change.resource}/{change.resource_id}")
