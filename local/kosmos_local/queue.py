"""The in-process queue: at-least-once delivery with retries and a dead-letter list.

Each subscriber has its own worker threads, so a long ``kosmos.check.batch``
(which probes for the length of a tick) never delays the engine. An event
leaves its subscriber's queue only when one of those workers is free, so the
queue's ``waiting`` and ``lag_s`` are the real backlog, as a broker's are. A delivery
that raises is retried with exponential backoff; after ``max_attempts`` it is
moved to ``dead_letters`` and logged, as a broker's dead-letter sink would.
"""
from __future__ import annotations

import re
import heapq
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from kosmos_local.events import Envelope
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

    @property
    def error_code(self) -> int | None:
        """The last HTTP status, when the last attempt got an answer."""
        m = re.search(r"answered HTTP (\d{3})", self.error)
        return int(m.group(1)) if m else None

    def record(self) -> dict:
        """As Kosmos keeps a dead letter (``GET /v1/dead_letters``), with the attempts made."""
        env = self.envelope
        return {"event_id": env.id, "event_type": env.type, "source": env.source,
                "subject": env.subject, "event_time": env.time, "destination": self.subscriber,
                "error_code": self.error_code, "error": self.error[:2048], "data": env.data,
                "received_at": datetime.fromtimestamp(self.time, timezone.utc)
                .isoformat().replace("+00:00", "Z"),
                "attempts": self.attempts}


@dataclass
class _Subscriber:
    name: str
    handler: Handler
    pool: ThreadPoolExecutor
    workers: int


class EventQueue:
    """Deliver envelopes to named subscribers; retry failures; keep the dead ones."""

    def __init__(self, max_attempts: int = 5, backoff: float = 0.2, max_backoff: float = 5.0,
                 clock: Callable[[], float] = time.monotonic,
                 on_dead: Callable[[DeadLetter], None] | None = None):
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.clock = clock
        self.dead_letters: list[DeadLetter] = []
        self.on_dead = on_dead   # the platform's dead-letter sink (the conductor's)
        self.delivered = 0
        self.retried = 0
        self._subs: dict[str, _Subscriber] = {}
        self._heaps: dict[str, list[tuple[float, int, Envelope, int]]] = {}   # per subscriber
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
        self._subs[name] = _Subscriber(name, handler, pool, workers)
        self._heaps[name] = []

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
            return sum(len(h) for h in self._heaps.values()) + self._inflight

    def lanes(self) -> dict[str, dict[str, float | int]]:
        """Per subscriber: events waiting and how long the oldest has waited (its lag, s)."""
        now = self.clock()
        with self._cond:
            out = {name: {"waiting": 0, "in_flight": self._busy.get(name, 0), "lag_s": 0.0}
                   for name in self._subs}
            for name, heap in self._heaps.items():
                lane = out[name]
                for due, _, env, _attempt in heap:
                    lane["waiting"] += 1
                    queued = self._queued_at.get(env.id, due)
                    lane["lag_s"] = max(lane["lag_s"], round(max(0.0, now - queued), 3))
            return out

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until nothing is queued or in flight (tests); False on timeout."""
        end = time.monotonic() + timeout
        with self._cond:
            while any(self._heaps.values()) or self._inflight:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    # ------------------------------------------------------------ internals
    def _push(self, subscriber: str, env: Envelope, attempt: int, delay: float) -> None:
        with self._cond:
            self._queued_at.setdefault(env.id, self.clock())
            heapq.heappush(self._heaps[subscriber], (self.clock() + delay, next(self._seq), env, attempt))
            self._cond.notify_all()

    def _ready(self) -> tuple[list[tuple[str, Envelope, int]], float]:
        """Due events of subscribers with a free worker (taken off their queues), and how
        long to wait when there are none. Called with the lock held."""
        now, out, wait = self.clock(), [], 0.1
        for name, heap in self._heaps.items():
            free = self._subs[name].workers - self._busy.get(name, 0)
            while heap and free > 0 and heap[0][0] <= now:
                _, _, env, attempt = heapq.heappop(heap)
                out.append((name, env, attempt))
                free -= 1
                self._inflight += 1
                self._busy[name] = self._busy.get(name, 0) + 1
            if heap and free > 0:
                wait = min(wait, heap[0][0] - now)
        return out, max(0.0, wait)

    def _dispatch(self) -> None:
        while True:
            with self._cond:
                ready, wait = self._ready()
                while not self._stopped and not ready:
                    self._cond.wait(wait)
                    ready, wait = self._ready()
                if self._stopped:
                    for name, env, attempt in ready:   # not started: back where they were
                        self._inflight -= 1
                        self._busy[name] -= 1
                        heapq.heappush(self._heaps[name], (self.clock(), next(self._seq), env, attempt))
                    return
            for name, env, attempt in ready:
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
            letter = DeadLetter(name, env, attempt, str(exc), time.time())
            with self._cond:
                self.dead_letters.append(letter)
                self._queued_at.pop(env.id, None)
            log.error("dead letter: %s to %s after %d attempts: %s", env.type, name, attempt, exc)
            if self.on_dead is not None:
                try:
                    self.on_dead(letter)
                except Exception as sink_exc:  # noqa: BLE001 - kept here in any case
                    log.warning("dead letter not stored by the sink: %s", sink_exc)
            return
        delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        with self._cond:
            self.retried += 1
        log.warning("retry %d/%d of %s to %s in %.1fs: %s", attempt, self.max_attempts - 1,
                    env.type, name, delay, exc)
        self._push(name, env, attempt + 1, delay)
