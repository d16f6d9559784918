"""A member's results are applied one batch at a time per instance.

A region's batches follow each other about every second, and during a failover
a member's rechecks put it in several of them in a row. Applied side by side
by one instance's workers, two such batches read the same health row, and the
later write misses its compare-and-set: everything the batch read, decided and
published is done again (``kosmos.engine.results``). Batches of two regions read
the member's rows of every region: side by side, when each completed a quorum as
the rows stood before the other's write, both moved the member and both pushed the
same answers (every name behind a dead endpoint twice, at 1,000 GSLBs: the engine,
the conductor and the appliance doing a failover's work twice). So before its full
path (a read, then a compare-and-set write) a batch takes the members of the results
on that path, waiting while another batch of this instance holds one of them; the
later one reads what the earlier one wrote. Results that need no read (set aside,
heartbeats, counts) never wait, and batches of other members go on side by side.

Only an order, never a guarantee: other instances are not held, and a batch
that waited ``WAIT`` seconds goes on anyway. The compare-and-set still decides
what is written, and a later decision from the stored rows (``results``, step 5)
converges instances that moved the same member.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

#: seconds a batch waits for another one's keys before it goes on regardless
WAIT = 10.0


class RowLocks:
    """The member ids the batches this instance is applying hold."""

    def __init__(self, wait: float = WAIT):
        self.wait = wait
        self._held: set[str] = set()
        self._changed = threading.Condition()

    @contextmanager
    def holding(self, keys: Iterable[str]) -> Iterator[bool]:
        """Hold ``keys`` while the block runs: True, or False when they were not all free
        within ``wait`` seconds and the block runs without them."""
        wanted = frozenset(keys)
        end = time.monotonic() + self.wait
        with self._changed:
            while self._held & wanted:
                left = end - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            got = not self._held & wanted
            if got:
                self._held |= wanted
        try:
            yield got
        finally:
            if got:
                with self._changed:
                    self._held -= wanted
                    self._changed.notify_all()
