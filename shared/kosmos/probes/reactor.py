"""Readiness and deadlines for the probes that run on the loop's callbacks.

Thousands of short-lived sockets a second made the event loop's own
bookkeeping a large share of the checker's CPU: each probe registered its
socket with the loop (a Python-level check and a poll handle in uvloop),
unregistered it, and armed and cancelled a timer. A ``Reactor`` holds, per
loop, one ``epoll`` set that the loop watches as a single descriptor, and one
timer for every probe deadline:

- ``watch(fd, callback, events)`` adds a socket to the set (``epoll_ctl``);
  ``callback(events)`` runs on the loop when it is ready; ``change`` swaps both.
  ``forget(fd)`` drops the callback; closing the socket takes it out of the set
  (the kernel does so for a descriptor closed everywhere), so no further system
  call is needed.
  A readiness reported for a descriptor closed and reused within one wake-up
  reaches its new owner, which must treat readiness as a hint (a ``recv``
  that would block, a ``send`` not yet possible), as non-blocking code does.
- ``expire_after(timeout, probe)`` calls ``probe.expire()`` once ``timeout``
  seconds have passed unless ``probe.settled``, and answers the deadline (loop
  time). Deadlines are kept in one FIFO per timeout value (they arrive in
  order), swept by one loop timer armed ``GRAIN`` after the earliest, so the
  deadlines of a ``GRAIN`` go in one wake-up (one per probe cost a tenth of
  the checker's CPU at a thousand probes a second). ``expire`` may thus come
  up to ``GRAIN`` late: a probe that settles in that span compares the loop
  time with its deadline (``past``) and reports what ``expire`` would have.

Linux only (``epoll``); elsewhere ``for_running_loop`` answers None and probes
take the awaited path.
"""
from __future__ import annotations

import asyncio
import select
import threading
from collections import deque
from typing import Callable, Protocol

READ = getattr(select, "EPOLLIN", 1)
WRITE = getattr(select, "EPOLLOUT", 4)
#: error and hang-up are always reported; a callback sees them with its events
FAILED = getattr(select, "EPOLLERR", 8) | getattr(select, "EPOLLHUP", 16)
#: how late a deadline's sweep may come, so that neighbouring deadlines share one
GRAIN = 0.02


class Expiring(Protocol):
    settled: bool

    def expire(self) -> None: ...


class Reactor:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.epoll = select.epoll()
        self.callbacks: dict[int, Callable[[int], None]] = {}
        self.deadlines: dict[float, deque[tuple[float, Expiring]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        loop.add_reader(self.epoll.fileno(), self._dispatch)

    # -- readiness ---------------------------------------------------------------
    def watch(self, fd: int, callback: Callable[[int], None], events: int) -> None:
        """Call ``callback(events)`` on the loop whenever ``fd`` is ready for ``events``."""
        self.callbacks[fd] = callback
        try:
            self.epoll.register(fd, events)
        except FileExistsError:   # a closed descriptor's number, not yet out of the set
            self.epoll.modify(fd, events)

    def change(self, fd: int, callback: Callable[[int], None], events: int) -> None:
        """Call ``callback(events)`` instead once a watched ``fd`` is ready for other
        ``events``."""
        self.callbacks[fd] = callback
        self.epoll.modify(fd, events)

    def forget(self, fd: int) -> None:
        """No more callbacks for ``fd``; close it next (closing takes it out of the set)."""
        self.callbacks.pop(fd, None)

    def _dispatch(self) -> None:
        callbacks = self.callbacks
        for fd, events in self.epoll.poll(0):
            callback = callbacks.get(fd)
            if callback is not None:
                callback(events)

    # -- deadlines ---------------------------------------------------------------
    def expire_after(self, timeout: float, probe: Expiring) -> float:
        """``probe.expire()`` in ``timeout`` seconds (up to ``GRAIN`` later) unless it has
        settled by then; the deadline, in loop time."""
        at = self.loop.time() + timeout
        queue = self.deadlines.get(timeout)
        if queue is None:
            queue = self.deadlines[timeout] = deque()
        queue.append((at, probe))
        if self._timer is None or at < self._timer_at:
            self._arm(at)
        return at

    def past(self, deadline: float) -> bool:
        """Whether ``deadline`` (from ``expire_after``) has passed, swept or not."""
        return self.loop.time() >= deadline

    def _arm(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = self.loop.call_at(at + GRAIN, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        now = self.loop.time()
        earliest = None
        for timeout, queue in list(self.deadlines.items()):
            while queue and queue[0][0] <= now:
                _, probe = queue.popleft()
                if not probe.settled:
                    probe.expire()
            if queue:
                head = queue[0][0]
                earliest = head if earliest is None or head < earliest else earliest
            else:
                del self.deadlines[timeout]
        if earliest is not None and self._timer is None:
            self._arm(earliest)


#: by ``id`` of the loop; an entry holds its loop, so the id stays its own until purged
_REACTORS: dict[int, Reactor] = {}
#: a checker runs batches in several threads, each on a loop of its own: one purges at a time
_PURGE = threading.Lock()


def for_running_loop() -> Reactor | None:
    """The running loop's reactor (made on first use), or None without ``epoll``."""
    loop = asyncio.get_running_loop()
    if not hasattr(select, "epoll"):
        return None
    reactor = _REACTORS.get(id(loop))
    if reactor is None:
        with _PURGE:
            for key, old in list(_REACTORS.items()):   # loops closed since: free their sets
                if old.loop.is_closed() and _REACTORS.pop(key, None) is old:
                    old.epoll.close()
            reactor = _REACTORS[id(loop)] = Reactor(loop)
    return reactor
