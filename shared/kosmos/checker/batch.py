"""``kosmos.check.batch``: run a batch's probes over its window, stream results.

Each check runs at the instants of its grid (``schedule``) that fall inside
[window_start, deadline). The scheduler keeps one entry per check (not per
slot), filed under the ``LEAD``-wide span its next slot falls in, and waits for
a free probe slot (``max_concurrency``) before it starts one, so memory stays
bounded however long the window or large the batch. A slot that cannot start
within its grace (``late_grace``) is dropped and counted, never bunched with the next: a lost slot costs one sample, a
bunch would hit endpoints in bursts. One exception: a check whose only slot
of the window passed before the batch arrived (its delay is as long as the
window) runs that slot at once, or it would never run at all.

Checks of one probe (``kosmos.probes.identity``) share a grid: at each of its instants the
batch runs the probe once and gives its outcome to every check of it that is
due then, each as its own result (``shares`` says which checks may: a check
plugin can decline). The checks folded into a spec (``CheckSpec.same_probe``)
take the outcome of every probe the spec runs; where the check plugin declines
sharing, they are unfolded and each probes for itself.

Completed results are emitted as ``kosmos.check.results`` every
``flush_interval`` (one second by default), so detection never waits for the
window to end. ``checked_at`` is the slot instant, so a duplicated batch
emits identical results that the engine ignores.
"""
from __future__ import annotations

import asyncio
import heapq
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable

from kosmos.checker.schedule import (MAX_LATE, catch_up_allowed, from_epoch, grid_offset,
                                     late_grace, slot_index, to_epoch)
from kosmos.probes.base import Target
from kosmos.probes.folding import unfold
from kosmos.probes.identity import probe_identity
from kosmos.contracts.events import CheckBatch, CheckResult, CheckSpec, EndpointUpdate
from kosmos.logs import get_logger

log = get_logger(__name__)

#: How early a slot may start (its checked_at stays the grid instant): the slots of one
#: LEAD-wide span start together, in one wake-up.
LEAD = 0.02
#: a wake-up this close to its span's start (timers fire a little early) starts it
SLACK = 0.001
#: Most completed results a batch keeps waiting for its sink (the oldest go beyond).
MAX_BUFFERED = 50_000

#: Sends one chunk of results/endpoint updates, and whether it holds a result that may
#: move a verdict (urgent); the service hands it to its instance's outbox.
Sink = Callable[[list[CheckResult], list[EndpointUpdate], bool], Awaitable[None]]
#: Refreshes neutron members' addresses; updates ``Target.address`` in place.
Discover = Callable[[list[Target]], Awaitable[list[EndpointUpdate]]]
#: Starts a probe on the loop's callbacks (``Prober.start``): a handle with ``abort()``, or
#: None when the probe must be awaited instead.
StartProbe = Callable[[Target, datetime, Callable[[CheckResult | None], None]], Any]


class _Slots:
    """Probe slots (``max_concurrency``): taken by the scheduler, freed as probes end.
    A counter rather than an ``asyncio.Semaphore``: one scheduler waits, and taking a
    free slot (the common case) needs no coroutine."""

    __slots__ = ("free", "_waiter")

    def __init__(self, n: int):
        self.free = n
        self._waiter: asyncio.Future | None = None

    def release(self) -> None:
        self.free += 1
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def freed(self, loop: asyncio.AbstractEventLoop) -> None:
        """Until a slot is free."""
        while not self.free:
            self._waiter = loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None


@dataclass
class BatchStats:
    batch_id: str
    probes: int = 0
    shared: int = 0               # results given a probe run for another check of it
    dropped: int = 0
    events: int = 0
    emit_errors: int = 0
    inconclusive: int = 0
    failed: int = 0               # probes whose result was a failure
    loop_lag_s: float = 0.0       # the worst event-loop lag while the batch ran
    results_dropped: int = 0
    endpoint_updates: int = 0


class ResultBuffer:
    """Completed results waiting for the next flush.

    Bounded: while the sink is slow or down, the oldest waiting results are
    dropped beyond ``max_buffered`` (newer results supersede them anyway).
    """

    def __init__(self, sink: Sink, stats: BatchStats, max_per_event: int, max_buffered: int):
        self.sink = sink
        self.stats = stats
        self.max_per_event = max_per_event
        self.max_buffered = max_buffered
        self.results: list[CheckResult] = []
        self.endpoints: list[EndpointUpdate] = []
        self.urgent = asyncio.Event()
        self._urgent_waiting = False   # an urgent result is among those not yet sent

    def add(self, result: CheckResult, urgent: bool = False) -> None:
        self.results.append(result)
        if urgent:
            self.urgent.set()
            self._urgent_waiting = True
        if len(self.results) > self.max_buffered:
            excess = len(self.results) - self.max_buffered
            del self.results[:excess]
            self.stats.results_dropped += excess

    async def flush(self) -> None:
        while self.results or self.endpoints:
            chunk = self.results[:self.max_per_event]
            del self.results[:len(chunk)]
            updates, self.endpoints = self.endpoints, []
            urgent, self._urgent_waiting = self._urgent_waiting, False
            try:
                await self.sink(chunk, updates, urgent)
                self.stats.events += 1
            except Exception:  # noqa: BLE001 - keep probing; the next window re-sends state
                self.stats.emit_errors += 1
                log.warning("emitting %d results failed", len(chunk), exc_info=True,
                            extra={"event_type": "kosmos.check.results"})


async def run_batch(batch: CheckBatch, probe: Callable[[Target, object], Awaitable[CheckResult | None]],
                    sink: Sink, *, max_concurrency: int, discover: Discover | None = None,
                    flush_interval: float = 1.0, max_per_event: int = 1000,
                    max_buffered: int = MAX_BUFFERED, wall: Callable[[], float] = time.time,
                    region_phase: float = 0.0,
                    streaks: dict[tuple[str, str], int] | None = None,
                    start_probe: StartProbe | None = None,
                    shares: Callable[[CheckSpec], bool] | None = None) -> BatchStats:
    """Run every check of ``batch`` on its grid until ``batch.deadline``; return counts.

    A batch that arrives late runs the slots it missed at once (a catch-up), each check's
    at most once; one that arrives after its deadline by less than ``MAX_LATE`` still does
    (beyond one window's length, only for slots that passed less than half their delay
    ago: never bunched with the check's next), and only a batch later than that is
    skipped. A recheck batch is skipped once its deadline has passed.

    ``region_phase`` (in [0, 1)) shifts every grid by that share of its delay: each
    region's checker gets its own share, so a member's probes from R regions fall
    evenly over its delay and some region looks at it every delay / R. A recheck
    batch's grids start at its window instead (the first probes go at once).

    ``streaks`` (kept by the checker instance across batches) counts each check's
    consecutive failures: a failure that can still change a verdict (the first
    ``max_retries_down`` of a streak) is sent without waiting for the next flush,
    so a suspect reaches the engine, and its rechecks decide, without that delay.

    ``start_probe``, when given, runs the probes it can on the loop's callbacks (no task per
    probe; plain HTTP) and the rest are awaited through ``probe``.

    ``shares``, when given, says whether a check may take the outcome of a probe run for
    another check of the same probe at the same instant (its check plugin allows it);
    without it every check probes for itself.
    """
    stats = BatchStats(batch.batch_id)
    start, end = to_epoch(batch.window_start), to_epoch(batch.deadline)
    late = wall() - end
    if late >= (0.0 if batch.recheck else MAX_LATE):
        # A recheck's window is several seconds of urgent probing; once over, the normal
        # schedule has the member, and a late recheck would only hold a worker.
        log.warning("batch arrived %.1fs after its deadline; skipped", late,
                    extra={"region": batch.region})
        return stats
    if late >= 0:
        # Within MAX_LATE of its deadline, a check's slot in the window still runs, once,
        # as a catch-up below: one probe late rather than a whole delay lost. With ticks of
        # a second, checkers a few seconds behind (10,000 GSLBs on two cores) skipped over
        # a thousand batches a run when only one window's lateness was allowed.
        log.info("batch arrived %.1fs after its deadline; its slots run late", late,
                 extra={"region": batch.region})
    loop = asyncio.get_running_loop()
    # Slot instants are wall-clock (they become checked_at); sleeping uses the loop's
    # monotonic clock, offset once so a wall-clock step cannot stall the batch.
    offset = wall() - loop.time()
    targets = [Target(spec.address or (spec.endpoints[0] if spec.endpoints else None),
                      spec.monitor.port or spec.port, spec) for spec in _own(batch.checks, shares)]
    buffer = ResultBuffer(sink, stats, max_per_event, max_buffered)
    # Entries: (slot instant, target index, grid index k, catch-up), filed by the LEAD-wide
    # span their instant falls in; ``spans`` is a heap of the spans that hold entries. A
    # heap of entries cost two sifts through thousands of tuples per probe (about 3 % of
    # the checker's CPU samples at 5,000 checks a second). Instants are always
    # offset + k * delay, never accumulated, so every run computes identical ones.
    filed: dict[int, list[tuple[float, int, int, bool]]] = {}
    spans: list[int] = []

    def file(entry: tuple[float, int, int, bool]) -> None:
        span = int(entry[0] // LEAD)
        entries = filed.get(span)
        if entries is None:
            filed[span] = [entry]
            heapq.heappush(spans, span)
        else:
            entries.append(entry)
    offsets: list[float] = []
    # the probe identity of each target whose check may share its probe, else None
    keys: list[str | None] = []
    arrived = wall()
    for i, t in enumerate(targets):
        delay = float(t.spec.monitor.delay)
        identity = probe_identity(t.spec)
        keys.append(identity if shares is not None and shares(t.spec) else None)
        off = start % delay if batch.recheck else grid_offset(t.spec, region_phase, identity)
        offsets.append(off)
        # A batch always arrives a little after its window opens: a slot in that gap is
        # still run if within its grace.
        k = slot_index(max(start, arrived - late_grace(delay)), delay, off)
        if off + k * delay < end:
            file((off + k * delay, i, k, False))
        elif start <= off + (k - 1) * delay < end and catch_up_allowed(
                arrived - (off + (k - 1) * delay), delay, end - start, late):
            # The check's slot in this window passed before the batch arrived (a delay as
            # long as the window, or a batch that came late): run it now rather than never,
            # unless that bunches it with the check's next slot (``catch_up_allowed``).
            file((off + (k - 1) * delay, i, k - 1, True))

    discovery = asyncio.ensure_future(_discover(discover, targets, buffer, stats)) if discover else None
    flusher = asyncio.ensure_future(_flush_every(buffer, flush_interval))
    slots = _Slots(max_concurrency)
    delays = [float(t.spec.monitor.delay) for t in targets]
    graces = [late_grace(d) for d in delays]
    running: set[asyncio.Task] = set()

    started: set[Any] = set()    # probes running on callbacks (their handles)
    drained: list[asyncio.Future] = []

    def count(target: Target, result: CheckResult | None) -> None:
        stats.probes += 1
        if result is None:
            stats.inconclusive += 1
        else:
            stats.failed += not result.ok
            buffer.add(result, _news(streaks, result, target.spec.monitor.max_retries_down))
        to_riders(target, result)

    def give(member_id: str, monitor_id: str, max_retries_down: int,
             result: CheckResult | None) -> None:
        """``result``, a probe's run for another check of it, as this check's."""
        stats.shared += 1
        if result is not None:
            mine = _as_for(member_id, monitor_id, result)
            buffer.add(mine, _news(streaks, mine, max_retries_down))

    def take(target: Target, result: CheckResult | None) -> None:
        """``result``, a probe's for another check of the same probe, as ``target``'s."""
        spec = target.spec
        give(spec.member_id, spec.monitor.id, spec.monitor.max_retries_down, result)
        to_riders(target, result)

    def to_riders(target: Target, result: CheckResult | None) -> None:
        """``result`` as the result of each check folded into ``target``'s spec."""
        for check in target.spec.same_probe:
            give(check.member_id, check.monitor_id, check.max_retries_down, result)

    async def one(target: Target, slot: float, probe_of: _Shared | None) -> None:
        result = None
        try:
            result = await probe(target, from_epoch(slot))
            count(target, result)
        finally:
            slots.release()
            if probe_of is not None:
                probe_of.settle(result)

    def begin(target: Target, slot: float, probe_of: _Shared | None) -> bool:
        """Start the slot's probe on callbacks; False: it needs a task."""
        handle: list[Any] = []   # the probe's handle once start returned, else reported

        def reported(result: CheckResult | None) -> None:
            try:
                count(target, result)
            finally:
                if probe_of is not None:
                    probe_of.settle(result)
                slots.release()
                if handle:
                    started.discard(handle[0])
                handle.append(None)
                if drained and not started and not drained[0].done():
                    drained[0].set_result(None)
        probe_handle = start_probe(target, from_epoch(slot), reported)   # type: ignore[misc]
        if probe_handle is None:
            return False
        if not handle:   # still running
            handle.append(probe_handle)
            started.add(probe_handle)
        return True

    try:
        while spans:
            span = spans[0]
            # The slots of one LEAD-wide span start together: one wake-up per span at
            # most rather than one per slot.
            wait = span * LEAD - (loop.time() + offset)
            if wait > SLACK:
                await asyncio.sleep(wait)
                continue
            heapq.heappop(spans)
            now = loop.time() + offset
            # the span's probes by (identity, instant): checks of one probe due at the
            # same instant fall in the same span
            running_probes: dict[tuple[str, float], _Shared] = {}
            for slot, i, k, catch_up in filed.pop(span):
                following = offsets[i] + (k + 1) * delays[i]
                if following < end:
                    file((following, i, k + 1, False))
                key = keys[i]
                probe_of = None
                if key is not None:
                    probe_of = running_probes.get((key, slot))
                    if probe_of is not None:
                        probe_of.join(targets[i])
                        continue
                    probe_of = running_probes[(key, slot)] = _Shared(take)
                if not slots.free:
                    await slots.freed(loop)
                    now = loop.time() + offset
                if not catch_up and now - slot > graces[i]:
                    stats.dropped += 1 + len(targets[i].spec.same_probe)
                    if probe_of is not None:
                        del running_probes[(key, slot)]   # the next check of it may still run
                    continue
                slots.free -= 1
                target = targets[i]
                if start_probe is not None and begin(target, slot, probe_of):
                    continue
                task = loop.create_task(one(target, slot, probe_of))
                running.add(task)
                task.add_done_callback(running.discard)
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        if started:
            drained.append(loop.create_future())
            await drained[0]
        if discovery is not None:
            await discovery
    finally:
        flusher.cancel()
        for task in list(running):
            task.cancel()
        for handle in list(started):
            handle.abort()
        await asyncio.gather(flusher, return_exceptions=True)
        await buffer.flush()
    return stats


def _own(checks: list[CheckSpec], shares: Callable[[CheckSpec], bool] | None) -> list[CheckSpec]:
    """``checks``, those folded into a spec whose check here declines sharing (or with no
    ``shares`` at all) unfolded: each probes for itself, whoever folded them."""
    if not any(spec.same_probe for spec in checks):
        return checks
    return [one for spec in checks for one in (
        unfold(spec) if spec.same_probe and (shares is None or not shares(spec)) else (spec,))]


class _Shared:
    """One probe run for several checks of it at one instant: the checks that join while
    it runs get its outcome when it settles, those joining later at once."""

    __slots__ = ("_take", "_waiting", "_settled", "_result")

    def __init__(self, take: Callable[[Target, CheckResult | None], None]):
        self._take = take
        self._waiting: list[Target] = []
        self._settled = False
        self._result: CheckResult | None = None

    def join(self, target: Target) -> None:
        if self._settled:
            self._take(target, self._result)
        else:
            self._waiting.append(target)

    def settle(self, result: CheckResult | None) -> None:
        self._settled, self._result = True, result
        waiting, self._waiting = self._waiting, []
        for target in waiting:
            self._take(target, result)


def _as_for(member_id: str, monitor_id: str, result: CheckResult) -> CheckResult:
    """``result`` (a probe's outcome) as the result of the check of ``member_id`` under
    ``monitor_id``."""
    return CheckResult.trusted(member_id, monitor_id, result.address, result.ok,
                               result.latency_ms, result.reason, result.checked_at)


#: an urgent flush waits this long for other results of the same moment, so flushes come
#: at most this often: a region failing every probe sends about three events a second, not
#: one per probe (at 0.1 s, 60 members dying at once left the engine seconds behind)
URGENT_GAP = 0.3


async def _flush_every(buffer: ResultBuffer, interval: float) -> None:
    """Flush every ``interval``, or soon after an urgent result; until cancelled.

    ``asyncio.wait`` rather than ``wait_for``: Python 3.11's ``wait_for`` loses a
    cancellation that arrives as the event is set, which left this loop running
    (and its batch never finishing) while failures kept coming.
    """
    while True:
        waiter = asyncio.ensure_future(buffer.urgent.wait())
        try:
            await asyncio.wait({waiter}, timeout=interval)
        finally:
            waiter.cancel()
        if buffer.urgent.is_set():
            await asyncio.sleep(URGENT_GAP)
        buffer.urgent.clear()
        await buffer.flush()


def _news(streaks: dict[tuple[str, str], int] | None, result: CheckResult,
          max_retries_down: int) -> bool:
    """Whether a result can still move a verdict: a failure within the first
    ``max_retries_down`` of its streak (the streak reset by a success)."""
    if streaks is None:
        return False
    key = (result.member_id, result.monitor_id)
    if result.ok:
        streaks.pop(key, None)
        return False
    n = streaks[key] = streaks.get(key, 0) + 1
    return n <= max_retries_down


async def _discover(discover: Discover, targets: list[Target], buffer: ResultBuffer,
                    stats: BatchStats) -> None:
    try:
        updates = await discover(targets)
    except Exception:  # noqa: BLE001 - probes go on with the addresses the batch carried
        log.warning("endpoint discovery failed", exc_info=True)
        return
    stats.endpoint_updates += len(updates)
    buffer.endpoints.extend(updates)
