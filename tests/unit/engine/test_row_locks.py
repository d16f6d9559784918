"""One instance applies a region's results for a member one batch at a time."""
from __future__ import annotations

import threading
import time

from kosmos.engine.row_locks import RowLocks


def _in_thread(locks: RowLocks, keys, log: list, name: str) -> threading.Thread:
    def run():
        with locks.holding(keys) as got:
            log.append((name, got))
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_batch_sharing_a_key_waits_and_others_do_not():
    locks, log = RowLocks(), []
    with locks.holding({("m1", "r1")}) as got:
        assert got
        sharing = _in_thread(locks, {("m1", "r1"), ("m2", "r1")}, log, "sharing")
        other_region = _in_thread(locks, {("m1", "r2")}, log, "other region")
        other_member = _in_thread(locks, {("m2", "r1")}, log, "other member")
        other_region.join(5)
        other_member.join(5)
        time.sleep(0.2)
        assert sorted(log) == [("other member", True), ("other region", True)]
        log.append(("holder", True))
    sharing.join(5)
    assert log[-2:] == [("holder", True), ("sharing", True)]


def test_a_batch_that_waited_too_long_goes_on_without_the_keys():
    locks, log = RowLocks(wait=0.2), []
    with locks.holding({("m1", "r1")}):
        waiting = _in_thread(locks, {("m1", "r1")}, log, "late")
        waiting.join(5)
        assert log == [("late", False)]
    with locks.holding({("m1", "r1")}) as got:   # what the first held is free again
        assert got
