"""One warm checker instance's results from all its batches, sent as few events as it can.

A checker instance runs several batches at once: a tick's batch while the last
one finishes, and in a failover the engine's recheck batches, each for a few
seconds. Each batch used to send its own ``kosmos.check.results`` every flush
(1 s, or 0.3 s after a failure that may move a verdict): with sixteen batches
at once a region sent dozens of events a second, and the engine, which pays
per event (a read, a write, a decision), fell a minute behind in a failover of
a few hundred names while the API was busy.

Batches hand their results here instead; one thread sends what is waiting,
per region, every ``interval`` (routine results) and at once when a handed-over
chunk is urgent (it holds a failure that can still move a verdict, and its
batch already waited a moment for the failures of the same instant), but no
sooner than ``URGENT_GAP`` after the last send: in a failover of 250 names
each of thirty recheck batches handed over urgent chunks, each went out as soon
as the send before it had, and the engine had 130 events waiting. A batch
waits until its results are sent (or the send failed), so a batch that has
returned has nothing left behind in a function instance that may be frozen.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from kosmos.checker.batch import URGENT_GAP   # a batch's flushes and the sends alike
from kosmos.contracts.events import CheckResult, EndpointUpdate
from kosmos.logs import get_logger

log = get_logger(__name__)

#: Sends one region's chunk: (region, batch ids, results, endpoint updates).
Send = Callable[[str, list[str], list[CheckResult], list[EndpointUpdate]], None]


@dataclass
class Handover:
    """One batch's chunk; ``done`` once it went out (``error`` if it could not)."""

    region: str
    batch_id: str
    results: list[CheckResult]
    endpoints: list[EndpointUpdate]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class Outbox:
    def __init__(self, send: Send, interval: float = 1.0, max_per_event: int = 1000,
                 monotonic: Callable[[], float] = time.monotonic):
        self._send = send
        self.interval = interval
        self.max_per_event = max_per_event
        self._monotonic = monotonic
        self._waiting: list[Handover] = []
        self._urgent = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self.events = 0   # sent, for tests and logs

    def hand_over(self, region: str, batch_id: str, results: list[CheckResult],
                  endpoints: list[EndpointUpdate], urgent: bool = False,
                  timeout: float = 30.0) -> None:
        """Queue a batch's chunk and wait until it is sent; re-raise a failed send."""
        h = Handover(region, batch_id, list(results), list(endpoints))
        with self._cond:
            self._waiting.append(h)
            self._urgent = self._urgent or urgent
            self._start()
            self._cond.notify()
        if not h.done.wait(timeout):
            raise TimeoutError(f"results of batch {batch_id} not sent within {timeout:g}s")
        if h.error is not None:
            raise h.error

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="results-outbox", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        next_at = self._monotonic()   # after a quiet spell the first chunk goes at once
        sent_at = next_at - URGENT_GAP
        while True:
            with self._cond:
                while True:
                    due = min(next_at, sent_at + URGENT_GAP) if self._urgent else next_at
                    if self._waiting and self._monotonic() >= due:
                        break
                    if not self._waiting:
                        if not self._cond.wait(60.0) and not self._waiting:
                            self._thread = None   # idle a minute: the next hand-over starts one
                            return
                        continue
                    self._cond.wait(max(0.0, due - self._monotonic()))
                taken, self._waiting, self._urgent = self._waiting, [], False
            sent_at = self._monotonic()
            if sent_at >= next_at:
                next_at = sent_at + self.interval
            self._send_all(taken)

    def _send_all(self, taken: list[Handover]) -> None:
        by_region: dict[str, list[Handover]] = {}
        for h in taken:
            by_region.setdefault(h.region, []).append(h)
        for region, group in by_region.items():
            results = [r for h in group for r in h.results]
            endpoints = [u for h in group for u in h.endpoints]
            batch_ids = sorted({h.batch_id for h in group})
            error: BaseException | None = None
            try:
                for i in range(0, max(1, len(results)), self.max_per_event):
                    self._send(region, batch_ids, results[i:i + self.max_per_event],
                               endpoints if i == 0 else [])
                    self.events += 1
            except Exception as exc:  # noqa: BLE001 - handed back to each batch, which counts it
                error = exc
            for h in group:
                h.error = error
                h.done.set()
