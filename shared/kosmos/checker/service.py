"""The checker function's handlers, bound to their dependencies.

``CheckerService.handle(event_type, data)`` is what ``functions/checker/main.py``
calls: ``kosmos.check.tick`` → ``on_tick`` (emit batches), ``kosmos.check.batch``
→ ``on_batch`` (run the window, emit results). Bad event data raises
``ValidationError`` (the entry point logs and drops it: retrying cannot fix it);
a dependency that is down raises ``Unavailable`` (the platform retries).
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any, Callable, TypeVar

from pydantic import ValidationError as PydanticError

from kosmos.contracts.operations import ENDPOINTS_SET
from kosmos.adapters.conductor_client import ConductorClient
from kosmos.adapters.emitter import Emitter
from kosmos.checker.batch import MAX_BUFFERED, BatchStats, Discover, run_batch
from kosmos.checker.lag import LagMeter
from kosmos.checker.outbox import Outbox
from kosmos.contracts.metrics import flush
from kosmos.checker.prober import Prober
from kosmos.checker.due import DueChecks
from kosmos.checker.grid_index import GridIndexes
from kosmos.checker.tick import TickOutcome, handle_tick
from kosmos.probes.base import Check
from kosmos.probes.folding import foldable
from kosmos.probes.guard import Guard
from kosmos.config import Settings
from kosmos.contracts.conductor import CallContext
from kosmos.contracts.events import (CHECK_BATCH, CHECK_RESULTS, CHECK_TICK, CheckBatch,
                                     CheckResult, CheckResults, CheckSpec, CheckTick,
                                     EndpointUpdate)
from kosmos.errors import ValidationError, from_pydantic
from kosmos.logs import get_logger

log = get_logger(__name__)

_Regional = TypeVar("_Regional", CheckTick, CheckBatch)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (about twice the probes per CPU second, see bench/), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class CheckerService:
    def __init__(self, settings: Settings, conductor: ConductorClient, emitter: Emitter,
                 checks: dict[str, Check], *, discover: Discover | None = None,
                 guard: Guard | None = None, checker_id: str | None = None,
                 loop_factory: Callable[[], asyncio.AbstractEventLoop] = new_event_loop):
        self.settings = settings
        self.conductor = conductor
        self.emitter = emitter
        self.runner = Prober(checks, guard or Guard.from_settings(settings))
        self.discover = discover
        self.checker_id = checker_id or settings.checker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.loop_factory = loop_factory
        self.due = DueChecks(conductor)
        self.indexes = GridIndexes()   # the due list by where its checks' grids fall
        # consecutive failures per (member, monitor), across this instance's batches
        self.streaks: dict[tuple[str, str], int] = {}
        # every batch's results leave through it, coalesced per region
        self.outbox = Outbox(self._send, interval=settings.results_interval)

    def handle(self, event_type: str, data: dict[str, Any]) -> TickOutcome | BatchStats:
        if event_type == CHECK_TICK:
            return self.on_tick(data)
        if event_type == CHECK_BATCH:
            return self.on_batch(data)
        raise ValidationError(f"the checker does not handle events of type {event_type!r}",
                              field="type")

    def on_tick(self, data: dict[str, Any]) -> TickOutcome:
        tick = self._own(_parse(CheckTick, data))
        return handle_tick(tick, self.conductor, self.emitter,
                           batch_size=self.settings.batch_size,
                           batch_max_rate=self.settings.batch_max_rate, due=self.due,
                           indexes=self.indexes, folds=self.folds,
                           region_phase=region_phase(tick.region, self.settings.regions))

    def folds(self, spec: CheckSpec) -> bool:
        """Whether ``spec`` may travel folded into another check of its probe: it may at
        all (``foldable``), its check shares outcomes, and folding is on
        (``fold_checks``)."""
        return self.settings.fold_checks and foldable(spec) and self.runner.shares(spec)

    def on_batch(self, data: dict[str, Any]) -> BatchStats:
        batch = self._own(_parse(CheckBatch, data))
        with asyncio.Runner(loop_factory=self.loop_factory) as runner:
            stats = runner.run(self.run_batch(batch))
        self._measure(batch.region, stats)
        # Routine batches are debug noise (one per region per tick); trouble is not.
        trouble = stats.inconclusive or stats.dropped or stats.emit_errors
        log.log(logging.INFO if trouble else logging.DEBUG,
                "batch done: %d probes (%d without verdict), %d results of shared probes, "
                "%d slots dropped, %d results events (%d failed to emit), %d endpoint updates",
                stats.probes, stats.inconclusive, stats.shared, stats.dropped, stats.events,
                stats.emit_errors, stats.endpoint_updates,
                extra={"region": batch.region, "event_id": batch.batch_id})
        return stats

    def _own(self, event: _Regional) -> _Regional:
        """``event`` when it is for this checker's region; a tick or batch for another
        region (a misrouted event) would probe from the wrong place and report it as
        that region's verdict, so it is refused (dropped, not retried)."""
        if event.region != self.settings.region:
            raise ValidationError(
                f"this checker probes from region {self.settings.region!r}; the event is "
                f"for region {event.region!r}", field="region")
        return event

    def _measure(self, region: str, stats: BatchStats) -> None:
        """The batch's counts into the instance's metrics, added to the series when due."""
        buffer = getattr(self.conductor, "metrics", None)
        if buffer is None:
            return
        buffer.add("kosmos_probes_total", stats.probes, region=region)
        buffer.add("kosmos_probes_shared_total", stats.shared, region=region)
        buffer.add("kosmos_probes_failed_total", stats.failed, region=region)
        buffer.add("kosmos_slots_dropped_total", stats.dropped, region=region)
        buffer.set("kosmos_checker_loop_lag_seconds", stats.loop_lag_s, region=region)
        flush(buffer, lambda op, args: self.conductor.call(op, args))

    async def run_batch(self, batch: CheckBatch, *, flush_interval: float | None = None) -> BatchStats:
        """Run ``batch`` on the current loop (tests and the local runner await this directly)."""
        for spec in {s.monitor.type: s for s in batch.checks}.values():
            reason = self.runner.unavailable_reason(spec)
            if reason:
                log.warning("monitor type %s cannot run here: %s", spec.monitor.type, reason,
                            extra={"monitor_id": spec.monitor.id, "region": batch.region})

        async def sink(results: list[CheckResult], endpoints: list[EndpointUpdate],
                       urgent: bool = False) -> None:
            await asyncio.to_thread(self.outbox.hand_over, batch.region, batch.batch_id,
                                    results, endpoints, urgent)

        meter = LagMeter().start()
        began = asyncio.get_running_loop().time()
        try:
            stats = await run_batch(
                batch, self.runner.run, sink, max_concurrency=self.settings.max_concurrency,
                discover=self.discover,
                # Handing over is cheap; the outbox sends at results_interval.
                flush_interval=flush_interval or self.settings.results_interval / 4,
                region_phase=region_phase(batch.region, self.settings.regions),
                streaks=self.streaks, start_probe=self.runner.starter(),
                shares=self.runner.shares,
                # Everything waiting goes in one hand-over; the outbox cuts events to its
                # own size. Chunks of 1,000, each waiting for its send, capped a batch at
                # 1,000 results per results_interval: a larger one fell further behind.
                max_per_event=MAX_BUFFERED, max_buffered=MAX_BUFFERED)
            stats.loop_lag_s = round(meter.worst_since(began), 4)
            return stats
        finally:
            await meter.stop()
            await self.runner.aclose()

    def _send(self, region: str, batch_ids: list[str], results: list[CheckResult],
              endpoints: list[EndpointUpdate]) -> None:
        """The outbox's send: one region's results of one or more batches as one event."""
        batch_id = batch_ids[0] if len(batch_ids) == 1 else f"{batch_ids[0]}+{len(batch_ids) - 1}"
        if endpoints:
            try:
                self.conductor.invoke(ENDPOINTS_SET,
                                    {"updates": [u.model_dump(mode="json") for u in endpoints]},
                                    CallContext.system(request_id=batch_id))
            except Exception:  # noqa: BLE001 - the engine still gets them below; next window retries
                log.warning("endpoints.set failed", exc_info=True, extra={"region": region})
        data = CheckResults(region=region, checker_id=self.checker_id,
                            batch_id=batch_id, results=results, endpoints=endpoints)
        self.emitter.emit(CHECK_RESULTS, data, subject=region)


def region_phase(region: str, regions: list[str]) -> float:
    """This region's share of every delay: its place among the checker regions over
    their number (0 when it is not among them)."""
    return regions.index(region) / len(regions) if region in regions else 0.0


def _parse(model, data: dict[str, Any]):
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        raise from_pydantic(exc, "data") from exc
