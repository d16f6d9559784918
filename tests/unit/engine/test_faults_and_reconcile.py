"""Appliance down then back, conductor down then back, drift, tombstones, circuit breaker."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kosmos.contracts.conductor import Tombstone
from kosmos.errors import Unavailable

from .conftest import REGIONS
from .fakes import T0, batch

A1, A2, B1 = "192.0.2.1", "192.0.2.2", "198.51.100.1"
FQDN, ZONE = "www.example.com.", "example.com."


def t(s: float):
    return T0 + timedelta(seconds=s)


def round_(engine, clock, items, s):
    clock.now = t(s + 1)
    for r in REGIONS:
        engine.handle("kosmos.check.results", batch(r, [(m, ok, t(s)) for m, ok in items]))


def online(engine, clock):
    for s in (0, 10):
        round_(engine, clock, [("a1", True), ("a2", True), ("b1", True)], s)


def reconcile(engine, **kw):
    return engine.handle("kosmos.engine.reconcile", {"scope": "all", **kw})


def test_new_gslb_is_published_by_reconcile_unknown_members_count_as_healthy(world):
    gw, clock, engine, app = world
    out = reconcile(engine)
    assert out["published"] == ["g1"] and app.get_answer(FQDN, ZONE).addresses == [A1, A2]
    assert gw.gslbs["g1"].publish_status.value == "SYNCED"
    assert reconcile(engine)["published"] == []                    # converged: nothing to do


def test_appliance_down_then_back_converges_in_one_reconcile(world):
    gw, clock, engine, app = world
    online(engine, clock)
    app.down = True
    round_(engine, clock, [("a1", False)], 20)
    round_(engine, clock, [("a1", False)], 30)
    assert gw.members["a1"].operating_status.value == "OFFLINE"     # the transition is kept
    g = gw.gslbs["g1"]
    assert g.publish_status.value == "ERROR" and g.answers == [A1, A2] and A2 in g.publish_reason
    out = reconcile(engine)                                          # still down: stays ERROR
    assert out["errors"] == ["g1"]
    app.down = False
    out = reconcile(engine)
    assert out["published"] == ["g1"]
    assert app.get_answer(FQDN, ZONE).addresses == [A2]
    assert gw.gslbs["g1"].publish_status.value == "SYNCED" and gw.gslbs["g1"].answers == [A2]
    assert [(e.from_state, e.to_state) for e in gw.entries("gslb")][-1] == (f"{A1},{A2}", A2)


@pytest.mark.parametrize("failing_op", ["engine.context", "gslb.trees", "gslb.set_answer", "health.write"])
def test_conductor_down_then_back_loses_no_transition(world, failing_op):
    gw, clock, engine, app = world
    online(engine, clock)
    round_(engine, clock, [("a1", False)], 20)
    clock.now = t(31)
    data = {r: batch(r, [("a1", False, t(30))]) for r in REGIONS}
    engine.handle("kosmos.check.results", data["r1"])
    gw.fail_next[failing_op] = 1
    with pytest.raises(Unavailable):
        engine.handle("kosmos.check.results", data["r2"])            # the decisive batch fails
    engine.handle("kosmos.check.results", data["r2"])                # the platform redelivers it
    engine.handle("kosmos.check.results", data["r2"])                # and once more, late
    engine.handle("kosmos.check.results", data["r3"])
    assert gw.members["a1"].operating_status.value == "OFFLINE"
    assert app.get_answer(FQDN, ZONE).addresses == [A2] and gw.gslbs["g1"].answers == [A2]
    moves = [e for e in gw.entries("member") if e.member_id == "a1"]
    assert [(e.from_state, e.to_state) for e in moves] == [("NO_MONITOR", "ONLINE"), ("ONLINE", "OFFLINE")]
    assert [e.to_state for e in gw.entries("gslb")] == [f"{A1},{A2}", A2]


def test_whole_conductor_down_raises_unavailable(world):
    gw, clock, engine, app = world
    gw.down = True
    with pytest.raises(Unavailable):
        engine.handle("kosmos.check.results", batch("r1", [("a1", True, t(0))]))
    with pytest.raises(Unavailable):
        reconcile(engine)


def test_reconcile_repairs_drift(world):
    gw, clock, engine, app = world
    online(engine, clock)
    app.set_answer(FQDN, ZONE, ["10.9.9.9"], 300)                   # someone edited the zone
    out = reconcile(engine)
    assert out["drift"] == ["g1"] and app.get_answer(FQDN, ZONE).addresses == [A1, A2]
    assert app.get_answer(FQDN, ZONE).ttl == 30
    app.remove(FQDN, ZONE)
    assert reconcile(engine)["drift"] == ["g1"] and app.get_answer(FQDN, ZONE).addresses == [A1, A2]


def test_tombstones_removed_and_acked_only_when_done(world):
    gw, clock, engine, app = world
    app.set_answer("old.example.com.", ZONE, ["10.0.0.1"], 30)
    gw.tombs["t1"] = Tombstone(id="t1", project_id="proj", gslb_id="gx", fqdn="old.example.com.",
                               zone_name=ZONE, created_at=T0)
    gw.tombs["t2"] = Tombstone(id="t2", project_id="proj", gslb_id="gy", fqdn=FQDN,   # name reused
                               zone_name=ZONE, created_at=T0)
    app.down = True
    reconcile(engine)
    assert set(gw.tombs) == {"t1"}                                   # t2 needs no removal
    app.down = False
    assert reconcile(engine)["tombstones_removed"] == 1
    assert not gw.tombs and app.get_answer("old.example.com.", ZONE).addresses == []
    assert app.get_answer(FQDN, ZONE).addresses == [A1, A2]


def test_circuit_breaker_holds_mass_removal_and_scoped_reconcile_releases(world):
    gw, clock, engine, app = world
    for i in range(3):
        gw.add_pool(f"P{i}")
        gw.add_member(f"m{i}", f"P{i}", f"10.0.{i}.1")
        gw.add_member(f"n{i}", f"P{i}", f"10.0.{i}.2")
        gw.add_gslb(f"h{i}", f"h{i}.example.com.", [(f"P{i}", 1)], all_down="NONE")
    members = [f"{p}{i}" for i in range(3) for p in "mn"]
    for s in (0, 10):
        round_(engine, clock, [(m, True) for m in members], s)
    reconcile(engine)
    for s in (20, 30):
        round_(engine, clock, [(m, False) for m in members], s)
    for i in range(3):
        g = gw.gslbs[f"h{i}"]
        assert g.publish_status.value == "HELD" and g.answers == [f"10.0.{i}.1", f"10.0.{i}.2"]
        assert app.get_answer(g.fqdn, ZONE).addresses == g.answers
    held = gw.entries("gslb")
    assert sum(e.to_state == "HELD" for e in held) == 3
    assert "circuit breaker" in held[-1].reason and held[-1].evidence["would_publish"] == []
    assert reconcile(engine)["held"] == ["h0", "h1", "h2"]           # still tripping: still held
    assert sum(e.to_state == "HELD" for e in gw.entries("gslb")) == 3  # not re-recorded
    engine.handle("kosmos.engine.reconcile", {"scope": "gslb", "gslb_id": "h0"})
    assert gw.gslbs["h0"].answers == [] and app.get_answer("h0.example.com.", ZONE).addresses == []
    # members recover: the held GSLBs resume by themselves
    for s in (40, 50):
        round_(engine, clock, [(m, True) for m in members], s)
    assert {gw.gslbs[f"h{i}"].publish_status.value for i in range(3)} == {"SYNCED"}


def test_scoped_reconcile_needs_an_id(world):
    gw, clock, engine, app = world
    from kosmos.errors import ValidationError
    with pytest.raises(ValidationError) as err:
        engine.handle("kosmos.engine.reconcile", {"scope": "gslb"})
    assert err.value.field == "gslb_id"


@pytest.mark.parametrize("op", ["gslb.set_answer", "health.write"])
def test_concurrent_writer_conflict_is_retried_not_lost(world, op):
    gw, clock, engine, app = world
    online(engine, clock)
    round_(engine, clock, [("a1", False)], 20)
    gw.conflict_next[op] = 1
    round_(engine, clock, [("a1", False)], 30)
    assert gw.members["a1"].operating_status.value == "OFFLINE"
    assert app.get_answer(FQDN, ZONE).addresses == [A2] and gw.gslbs["g1"].answers == [A2]
    assert [e.to_state for e in gw.entries("gslb")] == [f"{A1},{A2}", A2]


def test_second_look_publishes_a_move_another_instance_missed(world):
    gw, clock, engine, app = world
    online(engine, clock)
    round_(engine, clock, [("a1", False)], 20)

    def other_instance(g):
        # Meanwhile another instance stores a2's move; it published from a view without a1's.
        a2 = g.members["a2"]
        g.members["a2"] = a2.model_validate({**a2.model_dump(), "operating_status": "OFFLINE"})

    clock.now = t(31)
    engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(30))]))
    gw.after_write.append(other_instance)
    engine.handle("kosmos.check.results", batch("r2", [("a1", False, t(30))]))   # decisive for a1
    assert app.get_answer(FQDN, ZONE).addresses == [B1] and gw.gslbs["g1"].answers == [B1]


def test_reconcile_skips_a_gslb_another_writer_holds_and_does_the_rest(world):
    gw, clock, engine, app = world
    gw.add_gslb("g2", "two.example.com.", [("B", 1)])
    gw.conflict_next["gslb.set_answer"] = 1
    out = reconcile(engine)
    assert out["conflicts"] == ["g1"] and out["published"] == ["g2"]
    assert reconcile(engine)["published"] == ["g1"]
