"""Which of a region's checks have a slot in a window, without looking at each one.

A tick asks it of every check of its region once a second; at 25,000 checks the
check-by-check walk (each check's first slot in the window) took a fifth of a
checker's interpreter. The list a tick gets is the same object while nothing
changed (``kosmos.checker.due``), so its checks are indexed once: grouped by
delay, sorted by where their grid falls in it. A window then selects a range
by bisection, and only those few (widened a little for rounding) are tested the
exact way the batch tests them, so the answer is the walk's.
"""
from __future__ import annotations

import threading
from bisect import bisect_left
from typing import Callable, Sequence

from kosmos.contracts.events import CheckSpec
from kosmos.probes.identity import probe_identity

#: seconds added on each side of a window before the exact test (float rounding)
SLACK = 1e-3

Offset = Callable[[CheckSpec], float]


class GridIndex:
    """``specs`` by delay, each group sorted by grid offset in [0, delay)."""

    def __init__(self, specs: Sequence[CheckSpec], offset: Offset):
        #: each check's offset, by its place in ``specs`` (computed once per list: it
        #: hashes the check's probe identity)
        self.offsets = [offset(spec) for spec in specs]
        #: each check's probe identity, by its place in ``specs`` (the tick's sharding
        #: orders by it: 2.8 us a check, every tick)
        self.identities = [probe_identity(spec) for spec in specs]
        groups: dict[float, list[tuple[float, int]]] = {}
        for i, spec in enumerate(specs):
            delay = float(spec.monitor.delay)
            groups.setdefault(delay, []).append((self.offsets[i] % delay, i))
        self.groups: dict[float, tuple[list[float], list[int]]] = {}
        for delay, pairs in groups.items():
            pairs.sort()
            self.groups[delay] = ([o for o, _ in pairs], [i for _, i in pairs])

    def candidates(self, start: float, end: float) -> list[int]:
        """Indexes of the checks that may have a slot in [start, end): every one that
        has, and a few on the window's edges that the caller tests exactly."""
        out: list[int] = []
        length = end - start + 2 * SLACK
        for delay, (offsets, ids) in self.groups.items():
            if length >= delay:
                out.extend(ids)
                continue
            lo = (start - SLACK) % delay
            hi = lo + length
            a = bisect_left(offsets, lo)
            out.extend(ids[a:bisect_left(offsets, hi)])
            if hi > delay:   # the window wraps past the end of the delay
                out.extend(ids[:bisect_left(offsets, hi - delay)])
        out.sort()
        return out


class GridIndexes:
    """One index per region, kept while its list of checks is the same object."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, float], tuple[Sequence[CheckSpec], GridIndex]] = {}
        self._lock = threading.Lock()

    def select(self, region: str, region_phase: float, specs: Sequence[CheckSpec],
               start: float, end: float, offset: Offset,
               exact: Callable[[CheckSpec, float], bool]) -> list[CheckSpec]:
        """The checks of ``specs`` with a slot in [start, end) (``exact`` decides, given a
        check and its offset)."""
        return [spec for _, spec in self.select_probes(region, region_phase, specs, start,
                                                       end, offset, exact)]

    def select_probes(self, region: str, region_phase: float, specs: Sequence[CheckSpec],
                      start: float, end: float, offset: Offset,
                      exact: Callable[[CheckSpec, float], bool]) -> list[tuple[str, CheckSpec]]:
        """``select``'s checks, each with its probe identity (``kosmos.probes.identity``)."""
        key = (region, region_phase)
        with self._lock:
            held = self._held.get(key)
        if held is None or held[0] is not specs:
            held = (specs, GridIndex(specs, offset))
            with self._lock:
                self._held[key] = held
        index = held[1]
        return [(index.identities[i], specs[i]) for i in index.candidates(start, end)
                if exact(specs[i], index.offsets[i])]
