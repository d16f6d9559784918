"""What a region's checker must probe: ``checks.due``, read again only when it changed.

Every tick asks the conductor; the answer carries a fingerprint of what it was
built from, and the next tick sends it back as ``known``. While nothing changed
the conductor answers ``unchanged`` from one statement, and the checker reuses
the list it has. A full read happens at least every ``max_age`` seconds anyway.

While things change on every tick (a burst of creates), a full read follows at
most every ``spacing`` × the last full read's duration (10 s at most): at a few
thousand members a read costs the conductor most of a second, and three regions
reading each second would take all of its time. Small deployments read in
milliseconds, so they still see every change on the next tick.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from kosmos.contracts.operations import CHECKS_DUE
from kosmos.adapters.conductor_client import ConductorClient
from kosmos.contracts.conductor import CallContext
from kosmos.contracts.events import CheckSpec
from kosmos.errors import Unavailable


class DueChecks:
    def __init__(self, conductor: ConductorClient, max_age: float = 60.0, spacing: float = 4.0,
                 clock: Callable[[], float] = time.monotonic):
        self.conductor = conductor
        self.max_age = max_age
        self.spacing = spacing
        self.clock = clock
        self.full_reads = 0
        # region → (fingerprint, list, when it was read, how long the read took)
        self._last: dict[str, tuple[str, list[CheckSpec], float, float]] = {}
        self._lock = threading.Lock()
        self._reading: dict[str, threading.Lock] = {}   # region → held while reading it

    def __call__(self, region: str) -> list[CheckSpec]:
        with self._lock:
            last = self._last.get(region)
            reading = self._reading.setdefault(region, threading.Lock())
        started = self.clock()
        args: dict[str, Any] = {"region": region}
        if last is not None:
            fingerprint, specs, read_at, took = last
            if started - read_at < min(10.0, self.spacing * took):
                return specs
            if started - read_at < self.max_age:
                args["known"] = fingerprint
        # One read per region at a time. Ticks that come while one is under way (a
        # redelivered tick, the next second's) take the list known so far rather than
        # asking again: at 25,000 checks a read takes the conductor seconds, and reads
        # piling up behind a slow one kept it from ever answering in time.
        if not reading.acquire(blocking=False):
            if last is not None:
                return last[1]
            raise Unavailable(f"checks.due of {region} is being read; retry the tick",
                              retry_after=1.0)
        try:
            answer = self.conductor.invoke(CHECKS_DUE, args,
                                           CallContext.system(request_id=f"tick:{region}"))
        finally:
            reading.release()
        if answer.unchanged:
            if "known" in args:
                return last[1]   # type: ignore[index]
            raise Unavailable("conductor answered checks.due 'unchanged' with nothing known "
                              "and no 'checks' list")
        specs = answer.checks
        self.full_reads += 1
        if answer.fingerprint is not None:
            done = self.clock()
            with self._lock:
                self._last[region] = (answer.fingerprint, specs, done, done - started)
        return specs
