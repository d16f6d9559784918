"""The in-process queue: delivery, retries with backoff, dead letters, isolation."""
from __future__ import annotations

import threading
import time

import pytest

from kosmos_local.events import Envelope
from kosmos_local.queue import EventQueue


@pytest.fixture
def queue():
    q = EventQueue(max_attempts=3, backoff=0.01, max_backoff=0.05)
    yield q
    q.stop()


def test_delivers_each_envelope_to_its_subscriber(queue):
    got: dict[str, list[str]] = {"a": [], "b": []}
    queue.subscribe("a", lambda e: got["a"].append(e.id))
    queue.subscribe("b", lambda e: got["b"].append(e.id))
    queue.start()
    e1, e2 = Envelope(type="t", data={}), Envelope(type="t", data={})
    queue.put("a", e1)
    queue.put("b", e2)
    assert queue.wait_idle(2)
    assert got == {"a": [e1.id], "b": [e2.id]}
    assert queue.delivered == 2 and not queue.dead_letters


def test_retries_until_success(queue):
    attempts = []

    def flaky(env):
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RuntimeError("down")

    queue.subscribe("f", flaky)
    queue.start()
    queue.put("f", Envelope(type="t", data={}))
    assert queue.wait_idle(2)
    assert len(attempts) == 3
    assert queue.retried == 2 and queue.delivered == 1 and not queue.dead_letters
    assert attempts[2] - attempts[1] >= attempts[1] - attempts[0] >= 0.009  # backoff grows


def test_gives_up_into_dead_letters(queue):
    queue.subscribe("x", lambda e: (_ for _ in ()).throw(ValueError("broken")))
    queue.start()
    env = Envelope(type="kosmos.check.results", data={"region": "R"})
    queue.put("x", env)
    assert queue.wait_idle(2)
    assert len(queue.dead_letters) == 1
    dl = queue.dead_letters[0]
    assert dl.envelope.id == env.id and dl.attempts == 3 and "broken" in dl.error


def test_slow_subscriber_does_not_block_another(queue):
    release = threading.Event()
    fast: list[float] = []
    queue.subscribe("slow", lambda e: release.wait(2), workers=1)
    queue.subscribe("fast", lambda e: fast.append(time.monotonic()))
    queue.start()
    queue.put("slow", Envelope(type="t", data={}))
    queue.put("slow", Envelope(type="t", data={}))
    t0 = time.monotonic()
    queue.put("fast", Envelope(type="t", data={}))
    deadline = time.monotonic() + 1
    while not fast and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    assert fast and fast[0] - t0 < 0.5


def test_unknown_subscriber_is_an_error(queue):
    with pytest.raises(KeyError):
        queue.put("nobody", Envelope(type="t", data={}))


def test_delayed_put_waits(queue):
    seen: list[float] = []
    queue.subscribe("d", lambda e: seen.append(time.monotonic()))
    queue.start()
    t0 = time.monotonic()
    queue.put("d", Envelope(type="t", data={}), delay=0.2)
    assert queue.wait_idle(2)
    assert seen[0] - t0 >= 0.19


def test_stop_waits_for_deliveries_in_flight_and_retries_nothing():
    # What a delivery uses (the conductor) is closed right after stop returns: a
    # delivery still running then would fail, and a retry would run into the void.
    q = EventQueue(max_attempts=3, backoff=0.01)
    started, finished, calls = threading.Event(), threading.Event(), []

    def slow_then_fail(env):
        calls.append(env.id)
        started.set()
        time.sleep(0.3)
        finished.set()
        raise RuntimeError("conductor unreachable")

    q.subscribe("s", slow_then_fail)
    q.start()
    q.put("s", Envelope(type="t", data={}))
    assert started.wait(2)
    assert q.stop(timeout=5) is True
    assert finished.is_set(), "stop returned while the delivery was still running"
    time.sleep(0.1)
    assert len(calls) == 1 and q.retried == 0 and not q.dead_letters


def test_stop_gives_up_after_its_timeout():
    q = EventQueue()
    release = threading.Event()
    q.subscribe("s", lambda env: release.wait(5))
    q.start()
    q.put("s", Envelope(type="t", data={}))
    time.sleep(0.1)
    t0 = time.monotonic()
    assert q.stop(timeout=0.2) is False
    assert time.monotonic() - t0 < 2
    release.set()


def test_lanes_report_what_waits_and_for_how_long():
    clock = {"t": 100.0}
    q = EventQueue(clock=lambda: clock["t"])
    q.subscribe("engine", lambda env: None)
    q.subscribe("engine-reconcile", lambda env: None)
    q.put("engine", Envelope(type="kosmos.check.results", data={}))
    clock["t"] = 103.5
    q.put("engine", Envelope(type="kosmos.check.results", data={}))
    lanes = q.lanes()   # not started: both wait
    assert lanes["engine"] == {"waiting": 2, "in_flight": 0, "lag_s": 3.5}
    assert lanes["engine-reconcile"] == {"waiting": 0, "in_flight": 0, "lag_s": 0.0}


def test_a_busy_lane_keeps_its_backlog_in_the_queue_where_it_shows():
    gate = threading.Event()
    q = EventQueue()
    q.subscribe("engine", lambda e: gate.wait(5), workers=1)
    q.start()
    try:
        for _ in range(5):
            q.put("engine", Envelope(type="t", data={}))
        deadline = time.monotonic() + 2
        while q.lanes()["engine"]["in_flight"] != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        lane = q.lanes()["engine"]
        # one with the worker, four waiting (not handed to the worker pool's own queue)
        assert (lane["in_flight"], lane["waiting"]) == (1, 4) and lane["lag_s"] >= 0.2
        gate.set()
        assert q.wait_idle(5) and q.delivered == 5
    finally:
        gate.set()
        q.stop()
