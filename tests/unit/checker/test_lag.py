"""A timeout is evidence only when the checker itself kept up."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from kosmos.checker.lag import LagMeter, overloaded
from kosmos.checker.prober import Prober
from kosmos.probes.base import Check, Outcome, Target
from kosmos.probes.guard import Guard
from kosmos.contracts.events import CheckSpec, MonitorSpec


class HangingCheck(Check):
    """Never answers; optionally hogs the loop first, like a checker starved of CPU."""

    name = "HANG"
    probes_address = False

    def __init__(self, hog: float = 0.0):
        super().__init__()
        self.hog = hog

    async def probe(self, target: Target) -> Outcome:
        await asyncio.sleep(0.01)
        time.sleep(self.hog)  # blocks the whole loop
        await asyncio.sleep(10)
        raise AssertionError("unreachable")


def target() -> Target:
    spec = CheckSpec(member_id="m", pool_id="p", project_id="x", address=None, port=80,
                     monitor=MonitorSpec(id="mon", type="HANG", delay=5, timeout=0.3,
                                         max_retries=1, max_retries_down=1))
    return Target(None, 80, spec)


def run(check: Check, with_meter: bool = True):
    async def main():
        meter = LagMeter(interval=0.01).start() if with_meter else None
        try:
            await asyncio.sleep(0.05)
            return await Prober({"HANG": check}, Guard()).run(
                target(), datetime.now(timezone.utc))
        finally:
            if meter:
                await meter.stop()
    return asyncio.run(main())


def test_timeout_of_a_healthy_loop_is_a_verdict():
    r = run(HangingCheck())
    assert (r.ok, r.reason) == (False, "timeout after 0.3s")


def test_timeout_while_the_loop_was_starved_is_no_verdict():
    assert run(HangingCheck(hog=0.2)) is None


def test_without_a_meter_timeouts_stay_verdicts():
    r = run(HangingCheck(hog=0.2), with_meter=False)
    assert r.reason == "timeout after 0.3s"


def test_meter_sees_a_blocked_loop():
    async def main():
        meter = LagMeter(interval=0.01).start()
        await asyncio.sleep(0.05)
        since = asyncio.get_running_loop().time()
        quiet = meter.worst_since(since)
        time.sleep(0.15)
        await asyncio.sleep(0.03)
        busy = meter.worst_since(since)
        await meter.stop()
        return quiet, busy
    quiet, busy = asyncio.run(main())
    assert quiet < 0.05 and busy >= 0.12


def test_overload_threshold_scales_with_timeout():
    assert not overloaded(0.04, 0.1) and overloaded(0.06, 0.1)
    assert not overloaded(0.3, 2.0) and overloaded(0.5, 2.0)
