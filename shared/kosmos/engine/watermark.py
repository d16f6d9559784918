"""The engine's watermark: the newest check time a warm instance has applied results of.

Freshness across regions is judged at it while it is within a freshness window of
the clock (``kosmos.domain.quorum.judged_at``), so an engine running behind does
not take its own lag for every region going silent. It only moves forward, and
never past the instance's clock: a checker whose clock runs ahead cannot make
rows look fresher than they are. A cold instance has none and judges by the clock.
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Iterable

from kosmos.contracts.events import CheckResult


class Watermark:
    def __init__(self) -> None:
        self._at: datetime | None = None
        self._lock = threading.Lock()   # a warm instance serves several events at once

    def advance(self, results: Iterable[CheckResult], now: datetime) -> datetime | None:
        """Note a batch's results about to be applied at ``now``; the watermark after it."""
        newest = max((r.checked_at for r in results), default=None)
        with self._lock:
            if newest is not None:
                newest = min(newest, now)
                if self._at is None or newest > self._at:
                    self._at = newest
            return self._at

    @property
    def at(self) -> datetime | None:
        return self._at
