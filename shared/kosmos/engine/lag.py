"""How late results reach the engine, measured per batch and recorded now and then.

A batch's lag is the age of its newest result when the engine has applied it:
probe time, the checker's results interval, queueing and delivery. It is
recorded per region (``engine.lag``) at most every ``engine_lag_record_seconds``
or at once when it crosses ``engine_lag_warn_seconds`` either way, so steady
state adds one small write per region every few seconds, not one per batch; it
is logged as a warning while above the threshold (at most every 10 s per region).

Results older than their monitor's freshness window when applied are *stale*:
the health rows keep them, but quorum does not count them (``kosmos.domain.quorum``),
so a verdict that sat in a queue is not acted on as news. Their count is part of
the record and of the warning.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from kosmos.logs import get_logger

log = get_logger(__name__)

WARN_EVERY = 10.0


@dataclass
class _Seen:
    recorded_at: datetime | None = None
    recorded_lag: float = 0.0
    warned_at: datetime | None = None


@dataclass
class ResultsLag:
    """Per engine instance: when each region's lag was last recorded and warned about."""

    record_every: float = 10.0
    warn_above: float = 5.0
    regions: dict[str, _Seen] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def observe(self, region: str, lag_s: float, stale: int, now: datetime) -> bool:
        """Note one batch; True when it should be recorded now."""
        with self.lock:
            seen = self.regions.setdefault(region, _Seen())
            late = lag_s > self.warn_above or stale > 0
            if late and (seen.warned_at is None
                         or (now - seen.warned_at).total_seconds() >= WARN_EVERY):
                seen.warned_at = now
                log.warning("engine lag: results from %s applied %.1fs after their check "
                            "(%d stale)", region, lag_s, stale,
                            extra={"region": region, "lag_s": round(lag_s, 3), "stale": stale})
            crossed = (seen.recorded_lag > self.warn_above) != (lag_s > self.warn_above)
            due = (seen.recorded_at is None or crossed
                   or (now - seen.recorded_at).total_seconds() >= self.record_every)
            if due:
                seen.recorded_at, seen.recorded_lag = now, lag_s
            return due

    def forget(self, region: str) -> None:
        """The record failed: try again with the next batch."""
        with self.lock:
            self.regions.pop(region, None)
