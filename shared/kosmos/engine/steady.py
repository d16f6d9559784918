"""The steady-state fast path: results that would change nothing skip the conductor.

Most results repeat what the stored row already says (counts capped, same
verdict) and are not due for a heartbeat rewrite. For those the engine needs
no ``engine.context`` read: this warm instance remembers, per (member,
monitor, region), the row as it last read or wrote it with the monitor's
thresholds and freshness window, and runs the same pure rules
(``apply_results``, ``needs_write``) on it. A key whose results would write
or move anything, or that this instance has not seen, takes the full path.

The memory may lag a row that another engine instance wrote, but never for
long: once half the freshness window has passed since the remembered check,
``needs_write`` says a heartbeat is due and the full path reads the row again.
A user's change (``kosmos.engine.decide``) makes it forget the members of the
GSLBs concerned, whose monitors or pools may have changed.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from kosmos.contracts.events import CheckResult
from kosmos.contracts.health import HealthState
from kosmos.domain.health import apply_results, needs_write

Key = tuple[str, str, str]   # (member_id, monitor_id, region)


@dataclass(frozen=True)
class Known:
    state: HealthState     # the stored row, as this instance last read or wrote it
    rise: int
    fall: int
    window: timedelta      # the monitor's freshness window


class SteadyCache:
    def __init__(self, limit: int = 200_000):
        self.limit = limit
        self._known: dict[str, dict[tuple[str, str], Known]] = {}   # member → (monitor, region)
        self._size = 0
        self._lock = threading.Lock()

    def split(self, region: str, results: list[CheckResult], now: datetime
              ) -> tuple[list[CheckResult], list[tuple[CheckResult, timedelta]]]:
        """(results that need the full path, results that change nothing with their window).

        A row gone stale takes the full path even when its counts are capped: a new
        result makes it fresh again, which can change the member's decision.
        """
        grouped: dict[Key, list[CheckResult]] = {}
        for r in results:
            grouped.setdefault((r.member_id, r.monitor_id, region), []).append(r)
        full: list[CheckResult] = []
        quiet: list[tuple[CheckResult, timedelta]] = []
        with self._lock:
            known = {k: self._known.get(k[0], {}).get(k[1:]) for k in grouped}
        for key, rs in grouped.items():
            k = known[key]
            checked = k.state.last_checked_at if k is not None else None
            if k is not None and checked is not None and now - checked <= k.window:
                new, changes = apply_results(k.state, rs, k.rise, k.fall)
                if not changes and not needs_write(k.state, new, k.window):
                    quiet += [(r, k.window) for r in rs]
                    continue
            full += rs
        return full, quiet

    def remember(self, rows: dict[Key, Known]) -> None:
        with self._lock:
            if self._size + len(rows) > self.limit:
                self._known.clear()
                self._size = 0
            for (member, monitor, region), known in rows.items():
                by_member = self._known.setdefault(member, {})
                self._size += (monitor, region) not in by_member
                by_member[(monitor, region)] = known

    def forget(self, member_ids: set[str]) -> None:
        """These members' rows are read afresh next time (their monitors or pools changed)."""
        with self._lock:
            for m in member_ids:
                self._size -= len(self._known.pop(m, {}))

    def __len__(self) -> int:
        return self._size
