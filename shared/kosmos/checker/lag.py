"""How late the event loop runs: is a timeout evidence against the endpoint?

When the checker itself is saturated (too many TLS handshakes for its CPU),
every probe slows down and healthy endpoints start to "time out". Those
timeouts say nothing about the endpoints, and reporting them would take
healthy members out of DNS. ``LagMeter`` samples how late a short sleep wakes
up; the runner turns a timeout into no verdict when the loop lagged badly
while the probe ran. A lost sample costs one slot; a false "down" costs traffic.
"""
from __future__ import annotations

import asyncio
import weakref
from collections import deque

_METERS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LagMeter]" = weakref.WeakKeyDictionary()


class LagMeter:
    """Samples loop lag every ``interval`` seconds, keeping the last ``keep`` seconds."""

    def __init__(self, interval: float = 0.02, keep: float = 30.0):
        self.interval = interval
        self.samples: deque[tuple[float, float]] = deque(maxlen=int(keep / interval))
        self._task: asyncio.Task | None = None
        self._asleep_since = 0.0

    def start(self) -> "LagMeter":
        loop = asyncio.get_running_loop()
        _METERS[loop] = self
        self._task = loop.create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        _METERS.pop(asyncio.get_running_loop(), None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._asleep_since = loop.time()
            await asyncio.sleep(self.interval)
            now = loop.time()
            self.samples.append((now, now - self._asleep_since - self.interval))

    def worst_since(self, since: float) -> float:
        """The largest lag (seconds) observed since loop time ``since``, the current one included."""
        now = asyncio.get_running_loop().time()
        worst = max(0.0, now - self._asleep_since - self.interval)
        for at, lag in reversed(self.samples):
            if at < since:
                break
            if lag > worst:
                worst = lag
        return worst


def meter_of_running_loop() -> LagMeter | None:
    """The meter started on the running loop, if any."""
    try:
        return _METERS.get(asyncio.get_running_loop())
    except RuntimeError:
        return None


def overloaded(lag: float, timeout: float) -> bool:
    """Whether ``lag`` during a probe makes its timeout meaningless."""
    return lag > max(0.05, timeout * 0.2)
