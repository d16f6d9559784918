"""The batch scheduler with a fake probe and the real clock (windows of a few seconds)."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest

from kosmos.checker.batch import run_batch
from kosmos.checker.schedule import grid_offset, to_epoch
from kosmos.contracts.events import CheckBatch, CheckResult


def batch_of(make_check, n, delay=1, start=None, length=2.5, batch_id="R/w/0"):
    start = start or datetime.now(timezone.utc)
    return CheckBatch(region="R", batch_id=batch_id, window_start=start,
                      deadline=start + timedelta(seconds=length),
                      checks=[make_check(f"m{i}", delay=delay) for i in range(n)])


class Recorder:
    """A sink and a probe that remember what happened and when."""

    def __init__(self, probe_seconds: float = 0.0, fail_publish: bool = False):
        self.flushes: list[tuple[float, int]] = []
        self.results: list[CheckResult] = []
        self.started: dict[str, list[float]] = {}
        self.probe_seconds = probe_seconds
        self.fail_publish = fail_publish

    async def probe(self, target, checked_at):
        self.started.setdefault(target.spec.member_id, []).append(time.time())
        if self.probe_seconds:
            await asyncio.sleep(self.probe_seconds)
        return CheckResult(member_id=target.spec.member_id, monitor_id=target.spec.monitor.id,
                           address=target.address, ok=True, latency_ms=1.0, reason="ok",
                           checked_at=checked_at)

    async def sink(self, results, endpoints, urgent=False):
        self.flushes.append((time.time(), len(results)))
        if self.fail_publish:
            raise ConnectionError("sink down")
        self.results.extend(results)


def run(batch, rec, **kw):
    kw.setdefault("max_concurrency", 100)
    return asyncio.run(run_batch(batch, rec.probe, rec.sink, **kw))


def test_results_stream_at_least_every_second_on_the_grid(make_check):
    rec = Recorder()
    b = batch_of(make_check, 20, delay=1, length=3.0)
    began = time.time()
    stats = run(b, rec)
    assert stats.dropped == 0 and stats.probes == len(rec.results)
    # Every check ran about once a second: 2 to 3 slots in a 3 s window joined late.
    per_member = {}
    for r in rec.results:
        per_member.setdefault(r.member_id, []).append(to_epoch(r.checked_at))
    assert len(per_member) == 20 and all(2 <= len(v) <= 3 for v in per_member.values())
    specs = {c.member_id: c for c in b.checks}
    for member, instants in per_member.items():
        off = grid_offset(specs[member], 0.0)
        assert all(abs(((t - off) % 1.0 + 0.5) % 1.0 - 0.5) < 1e-5 for t in instants)
        assert all(to_epoch(b.window_start) <= t < to_epoch(b.deadline) for t in instants)
    # The first results left within about a second, and never more than ~1 s apart.
    with_results = [t for t, n in rec.flushes if n]
    assert with_results[0] - began < 1.3
    assert all(b2 - a < 1.3 for a, b2 in zip(with_results, with_results[1:]))


def test_a_duplicated_batch_yields_identical_results(make_check):
    b = batch_of(make_check, 10, delay=1, length=2.2, start=datetime.now(timezone.utc))
    first, second = Recorder(), Recorder()
    asyncio.run(_both(b, first, second))
    key = lambda rs: sorted((r.member_id, r.monitor_id, r.checked_at) for r in rs)
    assert key(first.results) and key(first.results) == key(second.results)


async def _both(b, r1, r2):
    await asyncio.gather(run_batch(b, r1.probe, r1.sink, max_concurrency=50),
                         run_batch(b, r2.probe, r2.sink, max_concurrency=50))


def test_late_slots_are_dropped_not_bunched(make_check):
    # One probe at a time, each taking 0.6 s, ten checks due every second: most slots
    # cannot start within their grace and are dropped; none runs twice in a burst.
    rec = Recorder(probe_seconds=0.6)
    stats = run(batch_of(make_check, 10, delay=1, length=3.0), rec, max_concurrency=1)
    assert stats.dropped > 0 and stats.probes < 30
    for starts in rec.started.values():
        assert all(b - a > 0.5 for a, b in zip(starts, starts[1:]))


def test_a_batch_arriving_late_still_runs_slots_within_their_grace(make_check):
    # Window opened 0.3 s ago (delivery latency): with delay = window length every check
    # has exactly one slot, and those in the first 0.3 s must not be skipped for good.
    rec = Recorder()
    start = datetime.now(timezone.utc) - timedelta(seconds=0.3)
    b = batch_of(make_check, 40, delay=1, start=start, length=1.0)
    early = [c.member_id for c in b.checks
             if (grid_offset(c, 0.0) - to_epoch(start)) % 1.0 < 0.3]
    assert early, "the test needs some checks whose slot fell before the batch arrived"
    stats = run(b, rec)
    assert stats.dropped == 0
    assert {r.member_id for r in rec.results} == {c.member_id for c in b.checks}


@pytest.mark.parametrize("length,n", [(3.0, 60), (1.0, 80)])
def test_a_batch_arriving_after_its_deadline_still_runs_each_checks_slot_once(make_check, length,
                                                                              n):
    # Window [now - 4 s, now - 4 s + length), delay 10: the batch came 1 s after its
    # deadline (a busy pipeline), or 3 s, three windows of one second (a checker starved
    # of CPU). Each check with a slot in that window is probed once, at once, stamped with
    # its grid instant (its next slot is still 6 s or more away); skipped, each of them
    # lost a whole delay of probing.
    from kosmos.checker.schedule import slots

    rec = Recorder()
    start = datetime.now(timezone.utc) - timedelta(seconds=4)
    b = batch_of(make_check, n, delay=10, start=start, length=length)
    s0 = to_epoch(start)
    expected = {c.member_id: t for c in b.checks
                for t in slots(s0, s0 + length, 10.0, grid_offset(c, 0.0))}
    assert 0 < len(expected) < n, "the test needs checks with and without a slot in the window"
    began = time.time()
    stats = run(b, rec)
    got = {r.member_id: to_epoch(r.checked_at) for r in rec.results}
    assert len(rec.results) == len(got) == len(expected) and stats.dropped == 0
    assert all(abs(got[m] - t) < 1e-5 for m, t in expected.items())
    assert all(s[0] - began < 1.0 for s in rec.started.values())   # not at some later slot


def test_a_recheck_batch_after_its_deadline_does_nothing(make_check):
    rec = Recorder()
    start = datetime.now(timezone.utc) - timedelta(seconds=4)
    b = batch_of(make_check, 5, delay=1, start=start, length=3.0).model_copy(
        update={"recheck": True})
    stats = run(b, rec)
    assert stats.probes == 0 and rec.flushes == []


def test_a_late_catch_up_never_bunches_with_the_checks_next_slot(make_check):
    # The same batch with a delay of 4 s: its slots passed 3-4 s ago, so each check's next
    # slot is at most a second away; a catch-up now would probe twice in a second.
    rec = Recorder()
    start = datetime.now(timezone.utc) - timedelta(seconds=4)
    stats = run(batch_of(make_check, 80, delay=4, start=start, length=1.0), rec)
    assert stats.probes == 0 and rec.results == []


def test_batch_later_than_max_late_after_its_deadline_does_nothing(make_check):
    rec = Recorder()
    past = datetime.now(timezone.utc) - timedelta(seconds=120)
    stats = run(batch_of(make_check, 5, start=past, length=60), rec)
    assert stats.probes == 0 and rec.flushes == []


def test_publish_failures_are_counted_and_probing_goes_on(make_check):
    rec = Recorder(fail_publish=True)
    stats = run(batch_of(make_check, 5, delay=1, length=2.2), rec, flush_interval=0.5)
    assert stats.emit_errors >= 2 and stats.probes >= 5


def test_memory_stays_bounded_by_concurrency(make_check):
    in_flight, peak = 0, 0

    class Gauge(Recorder):
        async def probe(self, target, checked_at):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                return await super().probe(target, checked_at)
            finally:
                in_flight -= 1

    stats = run(batch_of(make_check, 300, delay=1, length=1.5), Gauge(probe_seconds=0.2),
                max_concurrency=25)
    assert peak <= 25 and stats.probes > 0


def test_an_idle_window_sleeps_between_slots_instead_of_spinning(make_check, monkeypatch):
    # 200 checks due every second, probes instant: the scheduler must sleep until the
    # next slot group, not spin on sub-millisecond timers. Counted in wake-ups, not CPU
    # seconds, so a busy machine cannot fail it (bench/bench_checker.py prints the CPU).
    from kosmos.checker import batch as batch_module
    from kosmos.checker.service import new_event_loop

    real_sleep = asyncio.sleep
    waits: list[float] = []

    async def counting_sleep(delay, *args, **kwargs):
        if asyncio.current_task() is scheduler:
            waits.append(delay)
        return await real_sleep(delay, *args, **kwargs)

    rec, b = Recorder(), batch_of(make_check, 200, delay=1, length=2.0)
    scheduler = None

    async def main():
        nonlocal scheduler
        scheduler = asyncio.current_task()
        return await run_batch(b, rec.probe, rec.sink, max_concurrency=100)

    monkeypatch.setattr(batch_module.asyncio, "sleep", counting_sleep)
    with asyncio.Runner(loop_factory=new_event_loop) as runner:  # uvloop, as in production
        stats = runner.run(main())
    assert stats.probes >= 200
    # Each wake-up starts (or drops) at least one slot, and the slots of one LEAD-wide span
    # share one; a scheduler that spins on early timers sleeps thousands of times instead.
    slots = stats.probes + stats.dropped
    assert len(waits) <= slots + 5, (len(waits), slots)
    assert len(waits) <= 2.0 / batch_module.LEAD + 5, len(waits)
    assert min(waits) > batch_module.SLACK


def test_waiting_results_are_bounded_while_the_sink_is_stuck():
    from kosmos.checker.batch import BatchStats, ResultBuffer

    async def never(results, endpoints):
        raise AssertionError("not flushed in this test")

    stats = BatchStats("b")
    buffer = ResultBuffer(never, stats, max_per_event=10, max_buffered=30)
    now = datetime.now(timezone.utc)
    for i in range(100):
        buffer.add(CheckResult(member_id=f"m{i}", monitor_id="x", ok=True, reason="ok", checked_at=now))
    assert len(buffer.results) == 30 and stats.results_dropped == 70
    assert buffer.results[0].member_id == "m70"  # the newest are kept


def test_checks_whose_only_slot_passed_before_arrival_still_run_once(make_check):
    # Window opened 2 s ago and lasts 3 s; delay 10: each check has at most one slot in
    # the window. Those whose slot fell in the 2 s before the batch arrived run at once,
    # stamped with their grid instant; the rest at their slot; none twice.
    from kosmos.checker.schedule import slots

    rec = Recorder()
    start = datetime.now(timezone.utc) - timedelta(seconds=2)
    b = batch_of(make_check, 60, delay=10, start=start, length=3.0)
    s0, s1 = to_epoch(start), to_epoch(start) + 3.0
    expected = {}
    for c in b.checks:
        for t in slots(s0, s1, 10.0, grid_offset(c, 0.0)):
            expected[c.member_id] = t
    passed = [m for m, t in expected.items() if t < s0 + 1.5]
    assert passed and len(expected) < 60, "the test needs checks on both sides of arrival"
    stats = run(b, rec)
    got = {r.member_id: to_epoch(r.checked_at) for r in rec.results}
    assert len(rec.results) == len(got) == len(expected) and stats.dropped == 0
    assert all(abs(got[m] - t) < 1e-5 for m, t in expected.items())


def test_regions_probe_a_member_out_of_phase(make_check):
    """Three regions' checkers probe the same member a third of its delay apart."""
    from kosmos.checker.service import region_phase

    regions = ["RegionOne", "RegionTwo", "RegionThree"]
    start = datetime.now(timezone.utc)
    b = batch_of(make_check, 4, delay=3, start=start, length=3.5)
    recs = {r: Recorder() for r in regions}

    async def all_regions():
        await asyncio.gather(*(run_batch(b, recs[r].probe, recs[r].sink, max_concurrency=50,
                                         region_phase=region_phase(r, regions))
                               for r in regions))
    asyncio.run(all_regions())
    for i in range(4):
        member = f"m{i}"
        grid = [grid_offset(b.checks[i], 0.0) + share * 3 for share in (0, 1 / 3, 2 / 3)]
        for r, want in zip(regions, grid):
            instants = [to_epoch(x.checked_at) for x in recs[r].results if x.member_id == member]
            assert instants, (r, member)
            assert all(abs(((t - want) % 3.0 + 1.5) % 3.0 - 1.5) < 1e-5 for t in instants)
        # the three regions' instants, folded onto one delay, are a delay/3 apart
        folded = sorted(g % 3.0 for g in grid)
        gaps = [b2 - a for a, b2 in zip(folded, folded[1:])] + [folded[0] + 3.0 - folded[-1]]
        assert all(abs(g - 1.0) < 1e-6 for g in gaps)
    assert region_phase("Elsewhere", regions) == 0.0 and region_phase("RegionTwo", regions) == 1 / 3


class Failing(Recorder):
    """Fails every probe of members named in ``down``."""

    def __init__(self, down):
        super().__init__()
        self.down = set(down)

    async def probe(self, target, checked_at):
        r = await super().probe(target, checked_at)
        return r.model_copy(update={"ok": target.spec.member_id not in self.down,
                                    "reason": "refused"})


def test_failures_that_can_move_a_verdict_are_sent_at_once(make_check):
    """A failed probe leaves within a moment, not at the next flush; once a streak is
    past max_retries_down its failures wait for the flush like the rest."""
    rec = Failing(down={"m0"})
    streaks: dict = {}
    b = batch_of(make_check, 2, delay=1, length=2.5)
    run(b, rec, flush_interval=5.0, streaks=streaks)
    first_failure = min(to_epoch(r.checked_at) for r in rec.results if not r.ok)
    flushed = [t for t, n in rec.flushes if n]
    assert flushed and flushed[0] - first_failure < 2.0      # the 5 s flush did not wait
    assert streaks[("m0", "mon-1")] >= 2 and ("m1", "mon-1") not in streaks
    quiet = Failing(down={"m0"})
    run(batch_of(make_check, 2, delay=1, length=2.5), quiet, flush_interval=5.0,
        streaks={("m0", "mon-1"): 99})                       # long past its max_retries_down
    assert [n for _, n in quiet.flushes if n] == [len(quiet.results)]   # one flush at the end


def test_a_recheck_batch_probes_at_once(make_check):
    start = datetime.now(timezone.utc)
    b = batch_of(make_check, 3, delay=1, start=start, length=2.2).model_copy(update={"recheck": True})
    rec = Recorder()
    run(b, rec, region_phase=0.5)
    for i in range(3):
        instants = sorted(to_epoch(r.checked_at) for r in rec.results if r.member_id == f"m{i}")
        assert abs(instants[0] - to_epoch(start)) < 1e-5        # on the window's own grid
        assert [round(t - instants[0], 5) for t in instants] == [0.0, 1.0, 2.0]


def test_a_batch_of_failures_finishes_when_its_window_ends(make_check):
    """Urgent flushes (every failure) racing the batch's end must not keep it running:
    the batch returns, on uvloop with a sink that hands off to a thread as the
    checker's does."""
    import uvloop

    async def sink(results, endpoints, urgent=False):
        await asyncio.to_thread(time.sleep, 0.01)

    async def failing(target, checked_at):
        return CheckResult(member_id=target.spec.member_id, monitor_id=target.spec.monitor.id,
                           ok=False, reason="refused", checked_at=checked_at)

    async def main():
        b = batch_of(make_check, 5, delay=1, length=1.5)
        return await asyncio.wait_for(run_batch(b, failing, sink, max_concurrency=10,
                                                streaks={}), 30)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        for _ in range(3):
            stats = runner.run(main())
            assert stats.failed == stats.probes > 0
