"""The tick's selection by grid index is the check-by-check walk's, edges included."""
from __future__ import annotations

import random

from kosmos.checker.grid_index import GridIndex, GridIndexes
from kosmos.checker.schedule import first_slot, grid_offset
from kosmos.contracts.events import CheckSpec, MonitorSpec
from kosmos.probes.identity import probe_identity


def spec(i: int, delay: float) -> CheckSpec:
    return CheckSpec(member_id=f"m{i}", pool_id="p", project_id="x", address="192.0.2.1",
                     port=80, monitor=MonitorSpec(id=f"mon{i % 7}", type="TCP", delay=delay,
                                                  timeout=1, max_retries=1, max_retries_down=1))


def offset(s: CheckSpec, phase: float = 0.25) -> float:
    return grid_offset(s, phase)


def walk(specs, start, end, phase=0.25):
    return [s for s in specs
            if first_slot(start, float(s.monitor.delay), offset(s, phase)) < end]


def test_the_index_selects_what_the_walk_selects_on_random_windows():
    rnd = random.Random(7)
    specs = [spec(i, rnd.choice([1, 2.5, 5, 10, 10, 10, 30, 60, 3600])) for i in range(3000)]
    indexes = GridIndexes()
    start = 1_760_000_000.0
    for _ in range(300):
        start += rnd.choice([1.0, 0.5, 0.001, 7.3, 59.99])
        end = start + rnd.choice([1.0, 1.0, 0.5, 2.0, 60.0])
        got = indexes.select_probes("R", 0.25, specs, start, end, offset,
                                    lambda s, off: first_slot(start, float(s.monitor.delay), off) < end)
        assert [s for _, s in got] == walk(specs, start, end)
        # each with its probe identity, kept from when the list was indexed
        assert all(identity == probe_identity(s) for identity, s in got)


def test_windows_that_end_or_start_on_a_slot_instant_agree_with_the_walk():
    specs = [spec(i, 10) for i in range(500)]
    for s in specs[:50]:
        at = 1_760_000_000.0 + offset(s)   # a slot instant of s exactly
        for start, end in ((at, at + 1), (at - 1, at), (at - 0.5, at + 0.5)):
            got = GridIndexes().select("R", 0.25, specs, start, end, offset,
                                       lambda x, off: first_slot(start, 10.0, off) < end)
            assert got == walk(specs, start, end)
            assert (s in got) == (start <= at < end)


def test_the_index_is_built_once_per_list_and_again_for_a_new_one():
    specs = [spec(i, 10) for i in range(100)]
    built = []

    def counting(s):
        built.append(s)
        return offset(s)

    indexes = GridIndexes()
    for t in range(5):
        indexes.select("R", 0.25, specs, 100.0 + t, 101.0 + t, counting, lambda s, off: True)
    assert len(built) == 100
    indexes.select("R", 0.25, list(specs), 200.0, 201.0, counting, lambda s, off: True)
    assert len(built) == 200


def test_a_window_at_least_a_delay_long_takes_every_check_of_that_delay():
    specs = [spec(i, 2) for i in range(40)] + [spec(i, 60) for i in range(40, 80)]
    got = GridIndex(specs, offset).candidates(1000.0, 1003.0)
    assert set(range(40)) <= set(got) and len(got) < 80
