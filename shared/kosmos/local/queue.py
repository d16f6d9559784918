"""The in-process queue: at-least-once delivery with retries and a dead-letter list.

Each subscriber has its own worker threads, so a long ``kosmos.check.batch``
(which probes for the length of a tick) never delays the engine. A delivery
that raises is retried with exponential backoff; after ``max_attempts`` it is
moved to ``dead_letters`` and logged, as a broker's dead-letter sink would.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from kosmos.local.events import Envelope
from kosmos.logs import get_logger

log = get_logger("kosmos.local.queue")

Handler = Callable[[Envelope], None]


@dataclass
class DeadLetter:
    subscriber: str
    envelope: Envelope
    attempts: int
    error: str
    time: float


@dataclass
class _Subscriber:
    name: str
    handler: Handler
    pool: ThreadPoolExecutor


class EventQueue:
    """Deliver envelopes to named subscribers; retry failures; keep the dead ones."""

    def __init__(self, max_attempts: int = 5, backoff: float = 0.2, max_backoff: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.clock = clock
        self.dead_letters: list[DeadLetter] = []
        self.delivered = 0
        self.retried = 0
        self._subs: dict[str, _Subscriber] = {}
        self._heap: list[tuple[float, int, str, Envelope, int]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._inflight = 0
        self._busy: dict[str, int] = {}
        self._queued_at: dict[str, float] = {}   # envelope id → first queued (lag)
        self._stopped = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ wiring
    def subscribe(self, name: str, handler: Handler, workers: int = 2) -> None:
        """Register ``handler`` under ``name``; it gets ``workers`` threads of its own."""
        if name in self._subs:
            raise ValueError(f"subscriber {name!r} already exists")
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"q-{name}")
        self._subs[name] = _Subscriber(name, handler, pool)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._dispatch, name="queue-dispatch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop dispatching, then wait up to ``timeout`` for deliveries in flight.

        Deliveries finish before the caller closes what they use (the conductor),
        so a stop never turns work in progress into "unreachable" errors. Returns
        False when some were still running at the timeout.
        """
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        end = time.monotonic() + timeout
        if self._thread:
            self._thread.join(timeout)
        with self._cond:
            while self._inflight and time.monotonic() < end:
                self._cond.wait(min(0.05, max(0.0, end - time.monotonic())))
            drained = not self._inflight
        for sub in self._subs.values():
            sub.pool.shutdown(wait=False, cancel_futures=True)
        return drained

    # ------------------------------------------------------------ use
    def put(self, subscriber: str, env: Envelope, delay: float = 0.0) -> None:
        """Queue ``env`` for ``subscriber`` (unknown subscribers are an error)."""
        if subscriber not in self._subs:
            raise KeyError(f"no subscriber named {subscriber!r}")
        self._push(subscriber, env, attempt=1, delay=delay)

    def pending(self) -> int:
        with self._cond:
            return len(self._heap) + self._inflight

    def lanes(self) -> dict[str, dict[str, float | int]]:
        """Per subscriber: events waiting and how long the oldest has waited (its lag, s)."""
        now = self.clock()
        with self._cond:
            out = {name: {"waiting": 0, "in_flight": self._busy.get(name, 0), "lag_s": 0.0}
                   for name in self._subs}
            for due, _, name, env, attempt in self._heap:
                lane = out[name]
                lane["waiting"] += 1
                queued = self._queued_at.get(env.id, due)
                lane["lag_s"] = max(lane["lag_s"], round(max(0.0, now - queued), 3))
            return out

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until nothing is queued or in flight (tests); False on timeout."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._inflight:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    # ------------------------------------------------------------ internals
    def _push(self, subscriber: str, env: Envelope, attempt: int, delay: float) -> None:
        with self._cond:
            self._queued_at.setdefault(env.id, self.clock())
            heapq.heappush(self._heap, (self.clock() + delay, next(self._seq), subscriber, env, attempt))
            self._cond.notify_all()

    def _dispatch(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > self.clock()):
                    wait = (self._heap[0][0] - self.clock()) if self._heap else None
                    self._cond.wait(min(wait, 0.1) if wait is not None else 0.1)
                if self._stopped:
                    return
                _, _, name, env, attempt = heapq.heappop(self._heap)
                self._inflight += 1
                self._busy[name] = self._busy.get(name, 0) + 1
            self._subs[name].pool.submit(self._deliver, name, env, attempt)

    def _deliver(self, name: str, env: Envelope, attempt: int) -> None:
        try:
            self._subs[name].handler(env)
        except Exception as exc:  # any failure is retried, like a broker would
            self._failed(name, env, attempt, exc)
        else:
            with self._cond:
                self.delivered += 1
                self._queued_at.pop(env.id, None)
        finally:
            with self._cond:
                self._inflight -= 1
                self._busy[name] -= 1
                self._cond.notify_all()

    def _failed(self, name: str, env: Envelope, attempt: int, exc: Exception) -> None:
        if self._stopped:
            # A broker would redeliver it after a restart; nothing is retried while stopping.
            log.info("%s to %s not completed while stopping: %s", env.type, name, exc)
            return
        if attempt >= self.max_attempts:
            with self._cond:
                self.dead_letters.append(DeadLetter(name, env, attempt, str(exc), time.time()))
                self._queued_at.pop(env.id, None)
            log.error("dead letter: %s to %s after %d attempts: %s", env.type, name, attempt, exc)
            return
        delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        with self._cond:
            self.retried += 1
        log.warning("retry %d/%d of %s to %s in %.1fs: %s", attempt, self.max_attempts - 1,
                    env.type, name, delay, exc)
        self._push(name, env, attempt + 1, delay)
