"""Run one probe: pick the check, guard the target, enforce the timeout.

Whatever a check does, ``Prober.run`` returns a CheckResult within the
monitor's timeout (plus scheduling jitter): ``asyncio.timeout`` cancels the
probe at its deadline, so a slow endpoint never holds anything but its own
slot. Unexpected exceptions become a failed result with the exception's name,
logged once per occurrence, never a crashed batch.
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any, Callable

from kosmos.checker.lag import LagMeter, meter_of_running_loop, overloaded
from kosmos.probes.base import (Check, CheckFailed, CheckInconclusive, CheckUnavailable,
                                Outcome, Target, elapsed_ms)
from kosmos.probes.guard import Guard
from kosmos.probes.reactor import for_running_loop
from kosmos.contracts.events import CheckResult, CheckSpec
from kosmos.logs import get_logger

log = get_logger(__name__)

class Prober:
    """Turns a (target, slot time) into a CheckResult using the installed checks."""

    def __init__(self, checks: dict[str, Check], guard: Guard):
        self.checks = checks
        self.guard = guard
        # Checks that claim member types: they serve those members whatever the monitor.
        self.by_member_type = {t: c for _, c in sorted(checks.items()) for t in c.member_types}
        self._refusals: dict[str, str | None] = {}

    def refusal(self, address: str) -> str | None:
        """The guard's answer for ``address``, memoised: it is asked once per slot."""
        try:
            return self._refusals[address]
        except KeyError:
            if len(self._refusals) > 100_000:
                self._refusals.clear()
            answer = self._refusals[address] = self.guard.refusal(address)
            return answer

    def check_for(self, spec: CheckSpec) -> Check | None:
        """The check serving ``spec``: one that claims its member type, else the monitor type's."""
        claimed = self.by_member_type.get(spec.member_type)
        if claimed is not None:
            return claimed
        return self.checks.get(spec.monitor.type) or self.checks.get(spec.monitor.type.upper())

    def shares(self, spec: CheckSpec) -> bool:
        """Whether ``spec``'s check lets checks of the same probe share its outcomes."""
        check = self.check_for(spec)
        return check is not None and check.shares_probes

    async def aclose(self) -> None:
        """Let every check release what it holds on the current loop (end of a batch)."""
        results = await asyncio.gather(*(c.aclose() for c in self.checks.values()),
                                       return_exceptions=True)
        for check, result in zip(self.checks.values(), results):
            if isinstance(result, Exception):
                log.warning("check %s failed to close: %s", check.name, result)

    def unavailable_reason(self, spec: CheckSpec) -> str | None:
        """Why this spec can never run here (unknown type, ICMP not permitted), or None."""
        check = self.check_for(spec)
        if check is None:
            return f"no check plugin installed for monitor type {spec.monitor.type!r}"
        try:
            check.validate(spec.monitor)
        except CheckUnavailable as exc:
            return str(exc)
        return None

    async def run(self, target: Target, checked_at: datetime) -> CheckResult | None:
        """The slot's result, or None when the check could not reach a verdict."""
        try:
            ok, reason, latency = await self._probe(target)
        except CheckInconclusive as exc:
            _no_verdict(target, exc)
            return None
        return _result(target, checked_at, ok, reason, latency)

    def start(self, target: Target, checked_at: datetime,
              report: Callable[[CheckResult | None], None]) -> Any:
        """``run`` on the loop's callbacks when the target's check has that path (plain
        HTTP to an IP address): ``report`` gets what ``run`` would return. A handle to
        abort the probe, or None: the check has no such path, await ``run``."""
        starter = self.starter()
        return None if starter is None else starter(target, checked_at, report)

    def starter(self) -> Callable[[Target, datetime, Callable[[CheckResult | None], None]], Any] | None:
        """``start`` bound to the running loop, its lag meter and its reactor, looked up
        once (each lookup of the running loop is a system call); None without a reactor."""
        loop = asyncio.get_running_loop()
        meter = meter_of_running_loop()
        reactor = for_running_loop()
        if reactor is None:
            return None

        def start(target: Target, checked_at: datetime,
                  report: Callable[[CheckResult | None], None]) -> Any:
            plan = target.plan
            if plan is None or plan[0] is not target.address:   # new, or rediscovered
                plan = target.plan = self._plan(target)
            _, check, timeout, refusal = plan
            if check is None:
                return None
            if refusal:
                report(_result(target, checked_at, False, refusal, None))
                return _SETTLED
            loop_started = loop.time() if meter else 0.0

            def reported(outcome: Outcome | None) -> None:
                if outcome is None:   # the timeout passed first
                    outcome = _timed_out(meter, loop_started, timeout)
                    if isinstance(outcome, str):
                        _no_verdict(target, outcome)
                        report(None)
                        return
                report(_result(target, checked_at, outcome.ok, outcome.reason, outcome.latency_ms))
            try:
                return check.start(target, timeout, reported, reactor)
            except Exception as exc:  # noqa: BLE001 - a plugin bug must not sink the batch
                spec = target.spec
                log.warning("check %s raised %s", check.name, exc.__class__.__name__,
                            extra={"member_id": spec.member_id, "monitor_id": spec.monitor.id},
                            exc_info=True)
                report(_result(target, checked_at, False,
                               f"check error: {exc.__class__.__name__}: {exc}", None))
                return _SETTLED
        return start

    def _plan(self, target: Target) -> tuple[str | None, Check | None, float, str | None]:
        """For ``start``: the target's address, the check that starts its probes on
        callbacks (None: they are awaited), their timeout and the guard's refusal."""
        address = target.address
        check = self.check_for(target.spec)
        if check is None or not address or not check.starts(target):
            return address, None, 0.0, None
        return address, check, float(target.spec.monitor.timeout), self.refusal(address)

    async def _probe(self, target: Target) -> tuple[bool, str, float | None]:
        spec = target.spec
        check = self.check_for(spec)
        if check is None:
            return False, f"no check plugin installed for monitor type {spec.monitor.type!r}", None
        if check.probes_address:
            if not target.address:
                return False, "no address to probe (endpoints not resolved)", None
            refusal = self.refusal(target.address)
            if refusal:
                return False, refusal, None
        timeout = float(spec.monitor.timeout)
        started = time.perf_counter()
        meter = meter_of_running_loop()
        loop_started = asyncio.get_running_loop().time() if meter else 0.0
        try:
            async with asyncio.timeout(timeout):
                outcome = await check.probe(target)
        except TimeoutError:
            timed_out = _timed_out(meter, loop_started, timeout)
            if isinstance(timed_out, str):
                raise CheckInconclusive(timed_out) from None
            return timed_out.ok, timed_out.reason, timed_out.latency_ms
        except CheckFailed as exc:
            return False, exc.reason, exc.latency_ms
        except CheckUnavailable as exc:
            return False, str(exc), None
        except CheckInconclusive:
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin bug must not sink the batch
            log.warning("check %s raised %s", check.name, exc.__class__.__name__,
                        extra={"member_id": spec.member_id, "monitor_id": spec.monitor.id},
                        exc_info=True)
            return False, f"check error: {exc.__class__.__name__}: {exc}", None
        latency = outcome.latency_ms
        if latency is None:
            latency = elapsed_ms(started)
        return outcome.ok, outcome.reason, latency


class _Settled:
    """The handle of a probe reported before ``start`` returned."""

    def abort(self) -> None:
        """Nothing left to abort."""


_SETTLED = _Settled()


def _result(target: Target, checked_at: datetime, ok: bool, reason: str,
            latency: float | None) -> CheckResult:
    spec = target.spec
    return CheckResult.trusted(spec.member_id, spec.monitor.id, target.address, ok, latency,
                               reason[:1024], checked_at)


def _timed_out(meter: LagMeter | None, since: float, timeout: float) -> Outcome | str:
    """What a probe's timeout says: a failure, or (a reason) nothing, when the event loop
    lagged so badly since loop time ``since`` that the endpoint may have answered in time."""
    if meter is not None:
        lag = meter.worst_since(since)
        if overloaded(lag, timeout):
            return f"checker overloaded: event loop {lag * 1000:.0f} ms late during a {timeout}s probe"
    return Outcome(False, f"timeout after {timeout}s", round(timeout * 1000.0, 3))


def _no_verdict(target: Target, why: object) -> None:
    log.info("no verdict: %s", why, extra={"member_id": target.spec.member_id,
                                           "monitor_id": target.spec.monitor.id})
