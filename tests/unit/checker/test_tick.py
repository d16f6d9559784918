from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kosmos.adapters.emitter import InMemoryEmitter
from kosmos.checker.schedule import MAX_LATE
from kosmos.checker.tick import handle_tick
from kosmos.contracts.events import CHECK_BATCH, CheckBatch, CheckSpec, CheckTick
from kosmos.errors import Unavailable

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


def tick(region="RegionOne", period=60.0):
    return CheckTick(region=region, scheduled_at=T0, period=period)


def test_tick_publishes_batches_covering_its_window(conductor, fake_transport, make_check):
    fake_transport.checks = [make_check(f"m{i}") for i in range(5)]
    pub = InMemoryEmitter()
    out = handle_tick(tick(), conductor, pub, batch_size=2, batch_max_rate=1e9, now=T0)
    assert out.checks == 5 and out.batch_ids == [f"RegionOne/2030-01-01T12:00:01Z/{i}" for i in range(3)]
    events = pub.of_type(CHECK_BATCH)
    assert [e.id for e in events] == out.batch_ids
    batches = [CheckBatch.model_validate(e.data) for e in events]
    assert [len(b.checks) for b in batches] == [2, 2, 1]
    # a little ahead (LEAD = 1 s): the batches have that long to arrive before their window
    assert all(b.window_start == T0 + timedelta(seconds=1) and
               b.deadline == T0 + timedelta(seconds=61) for b in batches)
    assert fake_transport.calls[0]["op"] == "checks.due"
    assert fake_transport.calls[0]["args"] == {"region": "RegionOne"}
    assert fake_transport.calls[0]["context"]["is_admin"] is True


def test_duplicate_tick_publishes_identical_batches(conductor, fake_transport, make_check):
    fake_transport.checks = [make_check(f"m{i}") for i in range(3)]
    pub = InMemoryEmitter()
    handle_tick(tick(), conductor, pub, batch_size=2, batch_max_rate=1e9, now=T0)
    handle_tick(tick(), conductor, pub, batch_size=2, batch_max_rate=1e9, now=T0 + timedelta(seconds=3))
    first, second = pub.events[:2], pub.events[2:]
    assert [(e.id, e.data) for e in first] == [(e.id, e.data) for e in second]


def test_a_tick_later_than_max_late_after_its_window_publishes_nothing(conductor, fake_transport,
                                                                         make_check):
    fake_transport.checks = [make_check("m1")]
    pub = InMemoryEmitter()
    out = handle_tick(tick(), conductor, pub, batch_size=10, batch_max_rate=1e9,
                      now=T0 + timedelta(seconds=61 + MAX_LATE))   # window [T0+1, T0+61)
    assert out.batch_ids == [] and pub.events == [] and fake_transport.calls == []


def test_a_tick_seconds_after_its_window_still_publishes_its_batches(conductor, fake_transport,
                                                                     make_check):
    # One-second ticks on a busy machine: the tick of T0 (window [T0+1, T0+2)) is handled
    # 3 s after that window. Its batches still go out; their checks' slots in the window
    # run as catch-ups (``kosmos.checker.schedule.catch_up_allowed``) instead of a delay
    # of probing lost.
    fake_transport.checks = [make_check(f"m{i}", delay=10) for i in range(40)]
    pub = InMemoryEmitter()
    out = handle_tick(tick(period=1.0), conductor, pub, batch_size=100, batch_max_rate=1e9,
                      now=T0 + timedelta(seconds=5))
    batches = [CheckBatch.model_validate(e.data) for e in pub.of_type(CHECK_BATCH)]
    assert out.batch_ids and 0 < out.checks < 40
    assert [b.window_start for b in batches] == [T0 + timedelta(seconds=1)]


def test_ticks_plan_at_most_a_period_ahead_and_their_windows_tile(conductor, fake_transport,
                                                                 make_check):
    fake_transport.checks = [make_check("m1", delay=1)]   # a slot in every window
    pub = InMemoryEmitter()
    ticks = [CheckTick(region="RegionOne", scheduled_at=T0 + timedelta(seconds=i),
                       period=1.0) for i in range(3)]
    for t in ticks:   # each a period late: still before its window ends
        handle_tick(t, conductor, pub, batch_size=10, batch_max_rate=1e9,
                    now=t.scheduled_at + timedelta(seconds=1.0))
    windows = [(b.window_start, b.deadline) for b in
               (CheckBatch.model_validate(e.data) for e in pub.of_type(CHECK_BATCH))]
    assert windows[0] == (T0 + timedelta(seconds=1.0), T0 + timedelta(seconds=2.0))
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:])) and len(windows) == 3


def test_no_due_checks_no_batches(conductor):
    pub = InMemoryEmitter()
    assert handle_tick(tick(), conductor, pub, batch_size=10, batch_max_rate=1e9, now=T0).batch_ids == []
    assert pub.events == []


def test_conductor_down_is_retryable(conductor, fake_transport):
    fake_transport.down = True
    with pytest.raises(Unavailable):
        handle_tick(tick(), conductor, InMemoryEmitter(), batch_size=10, batch_max_rate=1e9, now=T0)


@pytest.mark.parametrize("region_phase", [0.0, 1 / 3])
def test_a_batch_carries_only_the_checks_with_a_slot_in_its_window(conductor, fake_transport,
                                                                  make_check, region_phase):
    # Delay 10 s, one-second ticks: over ten ticks every check is in exactly one batch,
    # the one whose window holds its slot on this region's grid (a tenth per batch).
    from kosmos.checker.schedule import grid_offset, to_epoch

    fake_transport.checks = [make_check(f"m{i}", delay=10) for i in range(60)]
    pub = InMemoryEmitter()
    for i in range(10):
        t = CheckTick(region="RegionOne", scheduled_at=T0 + timedelta(seconds=i), period=1.0)
        handle_tick(t, conductor, pub, batch_size=100, batch_max_rate=1e9,
                    now=t.scheduled_at, region_phase=region_phase)
    seen: dict[str, list[float]] = {}
    for b in (CheckBatch.model_validate(e.data) for e in pub.of_type(CHECK_BATCH)):
        for c in b.checks:
            seen.setdefault(c.member_id, []).append(to_epoch(b.window_start))
    assert sorted(seen) == sorted(f"m{i}" for i in range(60))
    assert all(len(starts) == 1 for starts in seen.values())
    specs = {c["member_id"]: CheckSpec.model_validate(c) for c in fake_transport.checks}
    for member, [start] in seen.items():
        slot = grid_offset(specs[member], region_phase)
        assert (slot - start) % 10.0 < 1.0   # the window [start, start + 1) holds its slot
