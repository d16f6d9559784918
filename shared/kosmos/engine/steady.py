"""The steady-state fast path: results that would change nothing skip the conductor.

Most results repeat what the stored row already says (counts capped, same
verdict) and are not due for a heartbeat rewrite. For those the engine needs
no ``engine.context`` read, and for a due heartbeat only its write (a
compare-and-set on the remembered version; a miss sends the results down the
full path): this warm instance remembers, per (member,
monitor, region), the row as it last read or wrote it with the monitor's
thresholds and freshness window, and runs the same pure rules
(``apply_results``, ``needs_write``; for results that repeat a settled row,
``repeats_settled`` and ``refreshed``, which say the same without applying each
result) on it. Results that only move a row's
counts (a first success after failures, a second failure of three) move no
verdict, so no member and no answer: the new row is written the same way
(``counts``), except a failure that may start a recheck (``kosmos.engine.
recheck``), which needs the full path's view of the member; so are results
older than their freshness window, which no decision can count. A key whose
fresh results would move a verdict, or that this instance has not seen, takes
the full path.

The memory may lag a row that another engine instance wrote, but never for
long: once half the freshness window has passed since the remembered check,
``needs_write`` says a heartbeat is due and the full path reads the row again.
A user's change (``kosmos.engine.decide``) makes it forget the members of the
GSLBs concerned, whose monitors or pools may have changed.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from kosmos.contracts.events import CheckResult
from kosmos.contracts.health import HealthState
from kosmos.domain.health import (apply_results, heartbeat_due, is_material_change, needs_write,
                                  refreshed, repeats_settled)
from kosmos.domain.quorum import judged_at

Key = tuple[str, str, str]   # (member_id, monitor_id, region)


def _checked_at(result: CheckResult) -> datetime:
    return result.checked_at


@dataclass(frozen=True)
class Known:
    state: HealthState     # the stored row, as this instance last read or wrote it
    rise: int
    fall: int
    window: timedelta      # the monitor's freshness window
    #: no decision has counted the row as it is: results too late to be news moved its
    #: verdict, or it was stale when its member was decided. Its next result in time
    #: takes the full path, however fresh the row looks by then.
    owed: bool = False


@dataclass(frozen=True)
class Rewrite:
    """A row stored from what this instance knows, compare-and-set on its version, no
    read: its freshness due (a heartbeat), its counts moved but not its verdict, or
    results too late to be news moved it (``SteadyCache.split``)."""

    key: Key
    known: Known
    new: HealthState
    results: list[CheckResult]
    owed: bool = False     # ``Known.owed`` once written

    def stored(self) -> Known:
        """What this instance knows once the write went through."""
        state = self.new.replaced(version=self.known.state.version + 1)
        return Known(state, self.known.rise, self.known.fall, self.known.window, self.owed)


@dataclass
class Split:
    full: list[CheckResult] = field(default_factory=list)
    quiet: list[tuple[CheckResult, timedelta]] = field(default_factory=list)
    beats: list[Rewrite] = field(default_factory=list)
    counts: list[Rewrite] = field(default_factory=list)


class SteadyCache:
    def __init__(self, limit: int = 200_000):
        self.limit = limit
        self._known: dict[str, dict[tuple[str, str], Known]] = {}   # member → (monitor, region)
        self._size = 0
        self._lock = threading.Lock()

    def split(self, region: str, results: list[CheckResult], now: datetime,
              asks_recheck: Callable[[str, str], bool] | None = None,
              watermark: datetime | None = None) -> Split:
        """The results that need the full path, those that change nothing (with their
        window), the heartbeats (rows whose only write is the freshness rewrite) and
        the counts (rows whose counts move, not their verdict). ``asks_recheck(member,
        monitor)``: whether a failure may start a recheck (None: never), which only
        the full path can do. ``watermark``: the engine's (``kosmos.engine.watermark``).

        A row gone stale (judged at ``judged_at(now, watermark, window)``, like the
        decisions) takes the full path even when its counts are capped: a new
        result makes it fresh again, which can change the member's decision. Results
        that are themselves older than the window (they waited in a queue) cannot: the
        row stays stale with them, so they are judged as on a fresh row, and even a
        verdict they move is no news (no member decision can count a stale row): such
        rows are counts too, written without a read or a history entry. Behind a
        backlog every row is stale, and sending all of them the full way made each
        batch dearer than the one before: at 1,000 GSLBs the engine fell minutes
        behind, and at 10,000 it spent its time deciding nothing (every result already
        stale) while every member waited for its first status.

        Such a row is owed a decision (``Known.owed``), and so is one a full path
        decided while stale: its next result in time takes the full path. Its staleness
        alone does not say so: late heartbeats keep its check time recent, and once
        the engine caught up the row looked fresh and settled, so a member whose every
        region had gone DOWN while the engine was behind stayed ONLINE for good (at
        10,000 GSLBs, every member of one endpoint stayed NO_MONITOR).
        """
        grouped: dict[Key, list[CheckResult]] = {}
        for r in results:
            grouped.setdefault((r.member_id, r.monitor_id, region), []).append(r)
        out = Split()
        judged: dict[timedelta, datetime] = {}   # window → judged_at: few windows, many rows
        with self._lock:
            known = {k: self._known.get(k[0], {}).get(k[1:]) for k in grouped}
        for key, rs in grouped.items():
            k = known[key]
            checked = k.state.last_checked_at if k is not None else None
            if k is None or checked is None:
                out.full += rs
                continue
            newest = max(rs, key=_checked_at)   # the first of the newest, as applied
            late = now - newest.checked_at > k.window
            if k.owed and not late:
                out.full += rs
                continue
            at = judged.get(k.window)
            if at is None:
                at = judged[k.window] = judged_at(now, watermark, k.window)
            if at - checked <= k.window or late:
                if repeats_settled(k.state, rs, k.rise, k.fall):   # no counts to move
                    if newest.checked_at <= checked or not heartbeat_due(
                            checked, newest.checked_at, k.window, at):
                        out.quiet += [(r, k.window) for r in rs]
                    else:   # what apply_results makes of settled repeats, in a tenth of its time
                        out.beats.append(Rewrite(key, k, refreshed(k.state, newest), rs,
                                                 k.owed))
                    continue
                new, changes = apply_results(k.state, rs, k.rise, k.fall)
                if not changes and not needs_write(k.state, new, k.window, at):
                    out.quiet += [(r, k.window) for r in rs]
                    continue
                if not changes and not is_material_change(k.state, new):
                    out.beats.append(Rewrite(key, k, new, rs, k.owed))
                    continue
                if late or (not changes and (asks_recheck is None or all(r.ok for r in rs)
                                             or not asks_recheck(key[0], key[1]))):
                    out.counts.append(Rewrite(key, k, new, rs, k.owed or bool(changes)))
                    continue
            out.full += rs
        return out

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
