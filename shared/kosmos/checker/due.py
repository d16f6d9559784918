"""What a region's checker must probe: ``checks.due``, read again only when it changed.

Every tick asks the conductor; the answer carries a fingerprint of what it was
built from, and the next tick sends it back as ``known``. While nothing changed
the conductor answers ``unchanged`` from one statement, and the checker reuses
the list it has. A full read happens at least every ``max_age`` seconds anyway.
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
    def __init__(self, conductor: ConductorClient, max_age: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.conductor = conductor
        self.max_age = max_age
        self.clock = clock
        self.full_reads = 0
        self._last: dict[str, tuple[str, list[CheckSpec], float]] = {}
        self._lock = threading.Lock()

    def __call__(self, region: str) -> list[CheckSpec]:
        with self._lock:
            last = self._last.get(region)
        args: dict[str, Any] = {"region": region}
        if last is not None and self.clock() - last[2] < self.max_age:
            args["known"] = last[0]
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
        return specs
