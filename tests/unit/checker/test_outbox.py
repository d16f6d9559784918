"""The checker instance's outbox: many batches' results, few events, nothing left behind."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest

from kosmos.checker.outbox import Outbox
from kosmos.contracts.events import CheckResult

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def result(member: str, ok: bool = True) -> CheckResult:
    return CheckResult(member_id=member, monitor_id="m", ok=ok, reason="ok" if ok else "refused",
                       checked_at=AT)


class Sent:
    def __init__(self, fail: int = 0):
        self.events: list[tuple[str, list[str], list[str]]] = []
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(self, region, batch_ids, results, endpoints) -> None:
        with self.lock:
            if self.fail:
                self.fail -= 1
                raise ConnectionError("broker down")
            self.events.append((region, batch_ids, [r.member_id for r in results]))


def hand_over_together(outbox: Outbox, chunks: list[tuple[str, str, list[CheckResult], bool]]):
    """Each chunk from its own thread (as concurrent batches do); errors by batch."""
    errors: dict[str, BaseException] = {}
    start = threading.Barrier(len(chunks))

    def one(region, batch_id, results, urgent):
        start.wait()
        try:
            outbox.hand_over(region, batch_id, results, [], urgent)
        except BaseException as exc:   # noqa: BLE001 - collected for the test
            errors[batch_id] = exc

    threads = [threading.Thread(target=one, args=c) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return errors


def test_sixteen_batches_handing_over_at_once_make_one_event_per_region():
    sent = Sent()
    outbox = Outbox(sent, interval=0.3)
    chunks = [(f"R{i % 2}", f"b{i}", [result(f"m{i}")], False) for i in range(16)]
    assert hand_over_together(outbox, chunks) == {}
    # Every result went out, in far fewer events than chunks (one per region per send).
    assert sorted(m for _, _, ms in sent.events for m in ms) == sorted(f"m{i}" for i in range(16))
    assert len(sent.events) <= 4
    r0 = [e for e in sent.events if e[0] == "R0"]
    assert {b for _, ids, _ in r0 for b in ids} == {f"b{i}" for i in range(0, 16, 2)}


def test_an_urgent_chunk_goes_at_once_and_takes_whatever_waits_with_it():
    sent = Sent()
    outbox = Outbox(sent, interval=30.0)   # routine chunks alone would wait long
    outbox.hand_over("R", "warm-up", [result("w")], [])   # the first send starts the cadence
    routine = threading.Thread(target=outbox.hand_over, args=("R", "b1", [result("a")], []))
    routine.start()
    time.sleep(0.2)
    assert len(sent.events) == 1            # the routine chunk waits for the cadence
    t0 = time.monotonic()
    outbox.hand_over("R", "b2", [result("b", ok=False)], [], urgent=True)
    assert time.monotonic() - t0 < 10       # not the 30 s cadence
    routine.join(5)
    assert not routine.is_alive()
    assert sent.events[-1] == ("R", ["b1", "b2"], ["a", "b"])


def test_urgent_chunks_in_a_stream_go_out_at_most_every_urgent_gap(monkeypatch):
    # Thirty batches each handing over urgent chunks one after another (a failure storm's
    # rechecks): events come no more often than URGENT_GAP apart, each with everything
    # that waited, and nothing is lost.
    from kosmos.checker import outbox as outbox_mod

    monkeypatch.setattr(outbox_mod, "URGENT_GAP", 0.25)
    sent, times = Sent(), []

    def send(*args):
        times.append(time.monotonic())
        sent(*args)

    outbox = Outbox(send, interval=30.0)

    def storm(i: int) -> None:
        for k in range(8):
            outbox.hand_over("R", f"b{i}", [result(f"m{i}-{k}", ok=False)], [], urgent=True)
            time.sleep(0.02)

    began = time.monotonic()
    threads = [threading.Thread(target=storm, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    took = time.monotonic() - began
    assert sum(len(ms) for _, _, ms in sent.events) == 30 * 8
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps and min(gaps) >= 0.25 - 0.01
    # without the gap, each send followed the one before at once: an event per chunk or so
    assert len(sent.events) <= took / 0.25 + 2


def test_a_failed_send_is_raised_in_every_batch_it_carried_and_the_next_goes_out():
    sent = Sent(fail=1)
    outbox = Outbox(sent, interval=0.2)
    errors = hand_over_together(outbox, [("R", "b1", [result("a")], True),
                                         ("R", "b2", [result("b")], True)])
    assert errors and all(isinstance(e, ConnectionError) for e in errors.values())
    # the ones not carried by the failed send went out; the next hand-over goes out too
    outbox.hand_over("R", "b3", [result("c")], [])
    assert sent.events[-1][2] == ["c"]


def test_a_batch_returns_only_once_its_results_are_sent():
    gate = threading.Event()

    def slow(region, batch_ids, results, endpoints):
        gate.wait(5)

    outbox = Outbox(slow, interval=0.05)
    done = threading.Event()
    threading.Thread(target=lambda: (outbox.hand_over("R", "b", [result("a")], []),
                                     done.set()), daemon=True).start()
    assert not done.wait(0.5)
    gate.set()
    assert done.wait(5)


def test_a_send_that_never_ends_times_the_batch_out():
    outbox = Outbox(lambda *a: time.sleep(5), interval=0.01)
    with pytest.raises(TimeoutError):
        outbox.hand_over("R", "b", [result("a")], [], timeout=0.3)
