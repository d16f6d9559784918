"""The cron emulator: one ``kosmos.check.tick`` per region per tick, and a
periodic ``kosmos.engine.reconcile``, as the platform's schedulers would send."""
from __future__ import annotations

import logging

import threading
import time
from datetime import datetime, timezone
from typing import Callable, Iterable

from kosmos.contracts.events import CHECK_TICK, ENGINE_RECONCILE, CheckTick, EngineReconcile
from kosmos_local.events import Envelope
from kosmos.logs import get_logger

log = get_logger("kosmos.local.cron")

Emit = Callable[[Envelope], None]


class Cron:
    """Every ``period`` seconds: a tick per region; every ``reconcile_every`` ticks: a reconcile."""

    def __init__(self, regions: Iterable[str], period: float, emit: Emit,
                 reconcile_every: int = 5,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.regions = list(regions)
        self.period = period
        self.emit = emit
        self.reconcile_every = max(1, reconcile_every)
        self.now = now
        self.count = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def fire(self) -> list[Envelope]:
        """Send one round of events now (the thread calls this every period)."""
        at = self.now()
        sent = []
        for region in self.regions:
            data = CheckTick(region=region, scheduled_at=at, period=self.period)
            sent.append(Envelope(type=CHECK_TICK, data=data.model_dump(mode="json"),
                                 subject=region))
        if self.count % self.reconcile_every == 0:
            data = EngineReconcile(scope="all", scheduled_at=at)
            sent.append(Envelope(type=ENGINE_RECONCILE, data=data.model_dump(mode="json")))
        self.count += 1
        reconcile = len(sent) > len(self.regions)   # worth telling; plain ticks are not
        log.log(logging.INFO if reconcile else logging.DEBUG, "tick %d: %s%s", self.count,
                ", ".join(self.regions), " + reconcile" if reconcile else "")
        for env in sent:
            self.emit(env)
        return sent

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="cron", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        # Ticks keep to a fixed grid so a slow emit does not drift the schedule.
        start = time.monotonic()
        n = 0
        while not self._stop.is_set():
            try:
                self.fire()
            except Exception:  # one bad round must not stop the schedule
                log.exception("cron round failed")
            n += 1
            self._stop.wait(max(0.0, start + n * self.period - time.monotonic()))
