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
        self._last: dict[str, tuple[str, list[CheckSpec], float]] = {}
        self._took: dict[str, float] = {}   # region → seconds its last full read took
        self._lock = threading.Lock()

    def __call__(self, region: str) -> list[CheckSpec]:
        with self._lock:
            last, took = self._last.get(region), self._took.get(region, 0.0)
        if last is not None and self.clock() - last[2] < min(10.0, self.spacing * took):
            return last[1]
        args: dict[str, Any] = {"region": region}
        if last is not None and self.clock() - last[2] < self.max_age:
            args["known"] = last[0]
        started = self.clock()
        answer = self.conductor.call("checks.due", args,
                                     CallContext.system(request_id=f"tick:{region}"))
        if not isinstance(answer, dict):
            raise Unavailable("conductor answered checks.due without a 'checks' list")
        if answer.get("unchanged") is True and "known" in args and last is not None:
            return last[1]
        if not isinstance(answer.get("checks"), list):
            raise Unavailable("conductor answered checks.due without a 'checks' list")
        specs = [CheckSpec.model_validate(c) for c in answer["checks"]]
        self.full_reads += 1
        if isinstance(answer.get("fingerprint"), str):
            with self._lock:
                self._last[region] = (answer["fingerprint"], specs, self.clock())
                self._took[region] = self.clock() - started
        return specs
