from __future__ import annotations

from datetime import datetime, timezone

from kosmos.checker.schedule import first_slot, from_epoch, late_grace, phase, slots, to_epoch


def test_phase_is_deterministic_and_within_delay():
    assert phase("m1/mon", 10) == phase("m1/mon", 10)
    assert phase("m1/mon", 10) != phase("m2/mon", 10)
    assert all(0 <= phase(f"m{i}/x", 7) < 7 for i in range(500))


def test_phases_spread_evenly():
    # 1,000 checks with delay 10: every second of the delay gets a fair share.
    buckets = [0] * 10
    for i in range(1000):
        buckets[int(phase(f"member-{i}/mon", 10))] += 1
    assert min(buckets) > 60 and max(buckets) < 140


def test_grid_is_anchored_to_the_epoch_so_windows_join_without_gap_or_overlap():
    off = phase("m/mon", 7)
    first = slots(1_000_000, 1_000_060, 7, off)
    second = slots(1_000_060, 1_000_120, 7, off)
    joined = first + second
    assert all(b - a == 7 for a, b in zip(joined, joined[1:]))
    assert all(1_000_000 <= t < 1_000_060 for t in first)
    assert all(1_000_060 <= t < 1_000_120 for t in second)


def test_first_slot_at_or_after_start():
    assert first_slot(100.0, 10.0, 3.0) == 103.0
    assert first_slot(103.0, 10.0, 3.0) == 103.0
    assert first_slot(103.5, 10.0, 3.0) == 113.0


def test_slot_instants_round_trip_exactly():
    t = 1_700_000_000.123456
    dt = from_epoch(t)
    assert dt.tzinfo == timezone.utc and from_epoch(to_epoch(dt)) == dt
    assert to_epoch(datetime(2030, 1, 1)) == to_epoch(datetime(2030, 1, 1, tzinfo=timezone.utc))


def test_slot_instants_name_the_same_microsecond_as_checkers_that_rounded_first():
    """Checkers of an earlier release rounded to six decimals before converting; a batch
    run by both (a duplicate during an upgrade) must give identical checked_at values."""
    for i in range(20_000):
        delay = (1, 2, 5, 10, 30, 0.5, 7.3)[i % 7]
        offset = phase(f"member-{i}/monitor", delay)
        t = offset + (1_700_000_000 // delay + i * 977) * delay
        assert from_epoch(t) == datetime.fromtimestamp(round(t, 6), timezone.utc), t


def test_late_grace_is_at_most_a_second_and_half_a_delay():
    assert late_grace(1) == 0.5 and late_grace(60) == 1.0
