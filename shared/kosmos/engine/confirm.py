"""Confirm what an appliance accepted but serves later (Designate pushes to its
name servers after answering): read back the GSLBs left PENDING by a push and
mark them SYNCED once served, ERROR if the appliance failed to serve them.

It runs after the engine's results and decide events, at most once per
``settings.confirm_interval`` per warm instance, for at most
``settings.confirm_batch`` GSLBs, so a confirmation costs no event of its own
and an appliance that stays slow is not asked more than that. Reconcile is the
backstop. A failure here is logged and never fails the event it follows.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from kosmos.engine.deps import EngineDeps
from kosmos.engine.publish import Cause, publish
from kosmos.engine.served import ServedReader
from kosmos.errors import KosmosError
from kosmos.logs import get_logger

log = get_logger(__name__)

ENGINE_CONFIRM = "engine.confirm"


class Confirmer:
    """Rate-limited confirmation passes of one warm engine instance."""

    def __init__(self, deps: EngineDeps, monotonic: Callable[[], float] = time.monotonic):
        self.deps = deps
        self.monotonic = monotonic
        self._next = 0.0
        self._lock = threading.Lock()

    def maybe(self) -> dict[str, Any]:
        """A confirmation pass if one is due; {} when not (or when it failed)."""
        with self._lock:
            now = self.monotonic()
            if now < self._next:
                return {}
            self._next = now + self.deps.settings.confirm_interval
        try:
            return confirm_pending(self.deps)
        except KosmosError as exc:
            log.warning("confirmation pass failed; the next one or reconcile retries",
                        extra={"status": exc.message})
            return {}


def confirm_pending(deps: EngineDeps) -> dict[str, Any]:
    gw, settings = deps.gateway, deps.settings
    ids = gw.unconfirmed(settings.confirm_batch)
    if not ids:
        return {}
    now = deps.clock()
    cause = Cause(ENGINE_CONFIRM, f"confirm:{now.isoformat()}", now, {"gslb_ids": ids})
    report = publish(gw, deps.appliances, settings, gw.trees(ids), cause,
                     read_back=ServedReader(deps.appliances), clock=deps.clock, skip_conflicts=True,
                     wakeups=deps.wakeups)
    return {"confirmed": [i for i in report.published if i in ids], "errors": report.errors}
