"""``kosmos.check.tick``: ask what is due in a region, emit it as batches.

A tick plans a little ahead: the tick scheduled at T covers the window
[T + lead, T + lead + period), lead = min(period, ``LEAD``). Between a tick
and its batches' arrival lie the tick's delivery, a read of the due checks,
the batches' emission and their delivery; under load that took 0.5 s on
average and up to 4 s (PostgreSQL, 300 GSLBs, the API busy). A batch planned
for the window it was made in started that late, and after its window in one
case in ten, losing its probes. With the lead it is usually waiting for its
first slot instead, and a batch still late runs its missed slots at once
(``kosmos.checker.batch``). The lead stays short whatever the period, so a
change to a monitor reaches the probes as soon as before plus at most the
lead. A tick that arrives after its window has ended still emits its
batches, up to ``MAX_LATE`` after it: they run the slots that are still
half a delay from the check's next (``kosmos.checker.schedule.
catch_up_allowed``), one probe late rather than a whole delay lost. Later,
it emits nothing: the next tick covers the next window. A conductor that
is down raises ``Unavailable`` so the platform retries the tick; the retry
emits the same batch ids, so nothing runs twice for long (and duplicate
results are ignored downstream anyway).

A batch carries only the checks with a slot in its window: with delay 10 s and
one-second ticks, a tenth of the region's checks. At 1,000 GSLBs every tick
sent (and every checker parsed) all 2,500 of a region's checks, and batches
arrived seconds after their window.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from kosmos.adapters.conductor_client import ConductorClient
from kosmos.adapters.emitter import Emitter
from kosmos.checker.due import DueChecks
from kosmos.checker.grid_index import GridIndexes
from kosmos.checker.schedule import MAX_LATE, first_slot, grid_offset, to_epoch
from kosmos.checker.sharding import batch_id, shard
from kosmos.contracts.common import utcnow
from kosmos.contracts.events import CHECK_BATCH, CheckBatch, CheckSpec, CheckTick
from kosmos.logs import get_logger

log = get_logger(__name__)

#: how far ahead of its window a tick plans (at most one period)
LEAD = 1.0


@dataclass(frozen=True)
class TickOutcome:
    region: str
    checks: int
    batch_ids: list[str]
    skipped_reason: str | None = None


def handle_tick(tick: CheckTick, conductor: ConductorClient, emitter: Emitter, *,
                batch_size: int, batch_max_rate: float,
                now: datetime | None = None, due: DueChecks | None = None,
                region_phase: float = 0.0, indexes: GridIndexes | None = None,
                folds: Callable[[CheckSpec], bool] | None = None) -> TickOutcome:
    """Emit one ``kosmos.check.batch`` per shard of the region's due checks that have a
    slot in the tick's window (``region_phase``: the region's share of every delay).

    ``due`` (a warm instance's) reuses the last list while the conductor says it is
    unchanged; without it every tick reads the list in full. ``indexes`` (a warm
    instance's) keeps that list indexed by grid while it is the same. ``folds`` says
    which checks may travel folded into another check of their probe (``kosmos.probes.
    folding``); without it every check travels in full.
    """
    now = now or utcnow()
    window_start = tick.scheduled_at + timedelta(seconds=min(tick.period, LEAD))
    deadline = window_start + timedelta(seconds=tick.period)
    if now >= deadline + timedelta(seconds=MAX_LATE):
        log.warning("tick arrived %.1fs after its window; skipped", (now - deadline).total_seconds(),
                    extra={"region": tick.region})
        return TickOutcome(tick.region, 0, [], "window already over")
    start, end = to_epoch(window_start), to_epoch(deadline)
    listed = (due or DueChecks(conductor))(tick.region)
    probes = (indexes or GridIndexes()).select_probes(
        tick.region, region_phase, listed, start, end,
        offset=lambda s: grid_offset(s, region_phase),
        # a slot in [start, end) on the check's grid in this region, as the batch finds it
        exact=lambda s, offset: first_slot(start, float(s.monitor.delay), offset) < end)
    ids = []
    specs = [spec for _, spec in probes]
    chunks = shard(specs, batch_size, batch_max_rate, window=tick.period, folds=folds,
                   identities=[identity for identity, _ in probes])
    for index, chunk in enumerate(chunks):
        batch = CheckBatch(region=tick.region, batch_id=batch_id(tick.region, window_start, index),
                           window_start=window_start, deadline=deadline, checks=chunk)
        # The batch id doubles as the event id so a broker can drop a re-emitted duplicate.
        emitter.emit(CHECK_BATCH, batch, event_id=batch.batch_id, subject=tick.region)
        ids.append(batch.batch_id)
    log.debug("tick emitted %d batches for %d checks", len(ids), len(specs),
             extra={"region": tick.region})
    return TickOutcome(tick.region, len(specs), ids)
