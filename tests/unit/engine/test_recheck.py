"""Recheck on suspicion: who is rechecked, where, how fast, how often, and that the
rechecks' results decide a member down sooner without bypassing quorum."""
from __future__ import annotations

from datetime import timedelta

from kosmos.adapters.emitter import InMemoryEmitter
from kosmos.contracts.events import CHECK_BATCH, CheckBatch, CheckSpec
from kosmos.probes.folding import unfold

from .conftest import REGIONS
from .fakes import T0, Clock, FakeGateway, batch, make_engine


def t(s: float):
    return T0 + timedelta(seconds=s)


def setup(**settings):
    gw = FakeGateway()
    gw.add_monitor("mon", delay=10, rise=2, fall=3)
    gw.add_pool("A")
    gw.add_member("a1", "A", "192.0.2.1")
    gw.add_member("a2", "A", "192.0.2.2")
    gw.add_gslb("g1", "www.example.com.", [("A", 1)])
    clock = Clock()
    engine, app = make_engine(gw, clock, regions=REGIONS, **settings)
    bus = InMemoryEmitter()
    engine.deps.emitter = bus
    for s in (0, 10):   # both members up everywhere
        clock.now = t(s + 1)
        for r in REGIONS:
            engine.handle("kosmos.check.results", batch(r, [("a1", True, t(s)), ("a2", True, t(s))]))
    assert gw.members["a1"].operating_status.value == "ONLINE"
    return gw, clock, engine, app, bus


def rechecks(bus) -> list[CheckBatch]:
    return [CheckBatch.model_validate(e.data) for e in bus.of_type(CHECK_BATCH)]


def checks(b: CheckBatch) -> list[CheckSpec]:
    """Every check ``b`` asks for, those folded into a spec of their probe included."""
    return [one for spec in b.checks for one in unfold(spec)]


def test_a_failed_probe_asks_every_region_to_recheck_at_recheck_delay():
    gw, clock, engine, app, bus = setup()
    clock.now = t(21)
    engine.handle("kosmos.check.results", batch(REGIONS[0], [("a1", False, t(20))]))
    sent = rechecks(bus)
    assert sorted(b.region for b in sent) == sorted(REGIONS)
    for b in sent:
        [spec] = b.checks
        assert spec.member_id == "a1" and spec.monitor.delay == 1.0   # the monitor's recheck_delay
        assert b.window_start == t(21)
        # long enough for a verdict: fall + 1 rechecks, the last one's timeout
        assert b.deadline == t(21) + timedelta(seconds=1.0 * 4 + 1)
        assert b.batch_id.startswith(f"{b.region}/recheck/")


def test_rechecks_decide_sooner_but_quorum_still_decides():
    gw, clock, engine, app, bus = setup()
    clock.now = t(21)
    engine.handle("kosmos.check.results", batch(REGIONS[0], [("a1", False, t(20))]))
    # the rechecks come back a second apart: two more failures in the first region, three in
    # the second; a third region still sees it up
    for i, s in enumerate((21.5, 22.5, 23.5)):
        clock.now = t(s + 0.5)
        if i < 2:
            engine.handle("kosmos.check.results", batch(REGIONS[0], [("a1", False, t(s))]))
        engine.handle("kosmos.check.results", batch(REGIONS[1], [("a1", False, t(s))]))
        engine.handle("kosmos.check.results", batch(REGIONS[2], [("a1", True, t(s))]))
    assert gw.members["a1"].operating_status.value == "OFFLINE"     # 2 of 3 regions: quorum
    assert app.get_answer("www.example.com.", "example.com.").addresses == ["192.0.2.2"]


def test_one_region_alone_failing_removes_nothing():
    gw, clock, engine, app, bus = setup()
    for s in (20, 21, 22, 23, 24):
        clock.now = t(s + 0.5)
        engine.handle("kosmos.check.results", batch(REGIONS[0], [("a1", False, t(s))]))
        for r in REGIONS[1:]:
            engine.handle("kosmos.check.results", batch(r, [("a1", True, t(s))]))
    assert gw.members["a1"].operating_status.value == "ONLINE"


def test_a_suspect_is_rechecked_once_per_window_and_a_member_down_not_at_all():
    gw, clock, engine, app, bus = setup()
    clock.now = t(21)
    engine.handle("kosmos.check.results", batch(REGIONS[0], [("a1", False, t(20))]))
    engine.handle("kosmos.check.results", batch(REGIONS[1], [("a1", False, t(20))]))  # same window
    assert len(rechecks(bus)) == len(REGIONS)
    clock.now = t(40)                          # the window is over and it still fails: again
    engine.handle("kosmos.check.results", batch(REGIONS[2], [("a1", False, t(39))]))
    assert len(rechecks(bus)) == 2 * len(REGIONS)
    # down everywhere: no more rechecks; it comes back at the normal pace
    for s in (41, 42, 43):
        clock.now = t(s + 0.5)
        for r in REGIONS:
            engine.handle("kosmos.check.results", batch(r, [("a1", False, t(s))]))
    assert gw.members["a1"].operating_status.value == "OFFLINE"
    before = len(rechecks(bus))
    clock.now = t(80)
    engine.handle("kosmos.check.results", batch(REGIONS[0], [("a1", False, t(79))]))
    assert len(rechecks(bus)) == before


def test_a_suspect_storm_is_cut_to_the_rate():
    gw, clock, engine, app, bus = setup(recheck_rate=6, recheck_batch=100)
    for i in range(20):
        gw.add_member(f"x{i}", "A", f"198.51.100.{i + 1}", status="ONLINE")
    clock.now = t(21)
    engine.handle("kosmos.check.results",
                  batch(REGIONS[0], [(f"x{i}", False, t(20)) for i in range(20)]))
    asked = sum(len(checks(b)) for b in rechecks(bus))
    assert asked == 6                          # two suspects x three regions: the bucket's worth


def test_checks_of_one_probe_count_once_against_the_bounds():
    """Twenty members on one endpoint, probed alike, fail together: a checker runs their
    rechecks as one probe, so all are rechecked within a budget of one probe; a member on
    another endpoint is a probe more than the batch may ask for."""
    gw, clock, engine, app, bus = setup(recheck_rate=6, recheck_batch=1)
    for i in range(20):
        gw.add_member(f"s{i}", "A", "203.0.113.9", status="ONLINE")
    gw.add_member("other", "A", "203.0.113.10", status="ONLINE")
    clock.now = t(21)
    engine.handle("kosmos.check.results", batch(
        REGIONS[0], [(f"s{i}", False, t(20)) for i in range(20)] + [("other", False, t(20))]))
    sent = rechecks(bus)
    assert sorted(b.region for b in sent) == sorted(REGIONS)
    for b in sent:
        assert sorted(c.member_id for c in checks(b)) == sorted(f"s{i}" for i in range(20))
        assert len(b.checks) == 1   # one probe: one spec, the others folded into it


def test_with_folding_off_rechecks_travel_in_full():
    """``fold_checks`` off (checkers from before ``same_probe`` still run): one spec per
    check, and nothing on the wire names ``same_probe``."""
    gw, clock, engine, app, bus = setup(fold_checks=False)
    for i in range(20):
        gw.add_member(f"s{i}", "A", "203.0.113.9", status="ONLINE")
    clock.now = t(21)
    engine.handle("kosmos.check.results",
                  batch(REGIONS[0], [(f"s{i}", False, t(20)) for i in range(20)]))
    events = bus.of_type(CHECK_BATCH)
    assert events and all(len(e.data["checks"]) == 20 for e in events)
    assert not any("same_probe" in c for e in events for c in e.data["checks"])


def test_many_rechecks_go_in_batches_of_batch_size():
    gw, clock, engine, app, bus = setup(batch_size=8)
    for i in range(20):
        gw.add_member(f"s{i}", "A", "203.0.113.9", status="ONLINE")
    clock.now = t(21)
    engine.handle("kosmos.check.results",
                  batch(REGIONS[0], [(f"s{i}", False, t(20)) for i in range(20)]))
    sent = rechecks(bus)
    assert sorted(len(checks(b)) for b in sent) == sorted([8, 8, 4] * len(REGIONS))
    assert len({b.batch_id for b in sent}) == len(sent)
    for region in REGIONS:
        assert sorted(c.member_id for b in sent if b.region == region for c in checks(b)) == \
            sorted(f"s{i}" for i in range(20))


def test_a_pool_probed_from_some_regions_is_rechecked_only_there():
    gw, clock, engine, app, bus = setup()
    gw.add_pool("P", regions=[REGIONS[1]])
    gw.add_member("p1", "P", "203.0.113.1", status="ONLINE")
    clock.now = t(21)
    engine.handle("kosmos.check.results", batch(REGIONS[1], [("p1", False, t(20))]))
    assert [b.region for b in rechecks(bus)] == [REGIONS[1]]


def test_without_the_feature_nothing_is_asked():
    gw, clock, engine, app, bus = setup(recheck=False)
    clock.now = t(21)
    engine.handle("kosmos.check.results", batch(REGIONS[0], [("a1", False, t(20))]))
    assert rechecks(bus) == []


def test_an_engine_behind_asks_for_no_recheck():
    """A batch applied 5 s after its check (the engine is behind): its failure asks for
    no recheck; the same failure applied in time does."""
    gw, clock, engine, app, bus = setup(recheck_max_lag=2.0)
    clock.now = t(25)
    engine.handle("kosmos.check.results", batch(REGIONS[0], [("a1", False, t(20))]))
    assert rechecks(bus) == []
    assert gw.states[("a1", "mon", REGIONS[0])].consecutive_fail == 1   # the result itself counts
    clock.now = t(31)
    engine.handle("kosmos.check.results", batch(REGIONS[0], [("a1", False, t(30))]))
    assert sorted(b.region for b in rechecks(bus)) == sorted(REGIONS)
