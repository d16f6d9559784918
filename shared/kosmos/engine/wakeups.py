"""GSLBs to decide again at a given time: a PRIORITY member's slow start ends.

A member back ONLINE under a GSLB with ``slow_start`` is left out of the
answer until it has been ONLINE that long (``kosmos.domain.routing.priority``);
the decision says when (``wake_at``). A warm engine keeps those times and,
with the next event it handles after one, decides those GSLBs again: results
arrive every few seconds, so the member is re-added within seconds of its
slow start ending. Reconcile is the backstop when no instance stays warm.
"""
from __future__ import annotations

import threading

from datetime import datetime
from typing import Any

from kosmos.engine.publish import Cause, publish
from kosmos.errors import KosmosError, StaleVersion
from kosmos.logs import get_logger

log = get_logger(__name__)

SLOW_START = "kosmos.engine.slow_start"   # the trigger named in history


class Wakeups:
    def __init__(self, limit: int = 100_000):
        self.limit = limit
        self._due: dict[str, datetime] = {}
        self._lock = threading.Lock()   # a warm instance serves several events at once

    def note(self, due: dict[str, datetime]) -> None:
        """Remember each GSLB's time (the earliest when it has two)."""
        with self._lock:
            for gslb_id, at in due.items():
                known = self._due.get(gslb_id)
                if known is None and len(self._due) >= self.limit:
                    continue   # bounded: reconcile decides the rest
                if known is None or at < known:
                    self._due[gslb_id] = at

    def take(self, now: datetime) -> list[str]:
        """The GSLBs due by ``now``, forgotten here."""
        with self._lock:
            ids = sorted(g for g, at in self._due.items() if at <= now)
            for g in ids:
                del self._due[g]
        return ids

    def __len__(self) -> int:
        return len(self._due)


def wake_due(deps: Any) -> dict[str, Any]:
    """Decide again the GSLBs whose time has come; ``{"woken": [...]}`` when any.

    A failure puts them back: the next event tries again (reconcile meanwhile).
    """
    now = deps.clock()
    ids = deps.wakeups.take(now)
    if not ids:
        return {}
    cause = Cause(SLOW_START, f"slow_start:{now.isoformat()}", now, {}, note="slow start over: ")
    try:
        report = publish(deps.gateway, deps.appliances, deps.settings, deps.gateway.trees(ids),
                         cause, clock=deps.clock, wakeups=deps.wakeups, skip_conflicts=True)
    except (KosmosError, StaleVersion) as exc:
        deps.wakeups.note({g: now for g in ids})
        log.info("slow-start wakeups left for the next event: %s", exc)
        return {}
    return {"woken": ids, "woken_published": report.published, "woken_errors": report.errors}
