"""Appliance down then back, conductor down then back, drift, tombstones, circuit breaker."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kosmos.adapters.emitter import InMemoryEmitter
from kosmos.contracts.conductor import Tombstone
from kosmos.contracts.metrics import MetricsBuffer
from kosmos.errors import Unavailable, ValidationError

from .conftest import REGIONS
from .fakes import T0, Clock, FakeGateway, batch, make_engine

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


@pytest.mark.parametrize("failing_op", ["engine.context", "gslb.trees", "gslb.set_answers", "health.write"])
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
    # 12 distinct endpoints on 3 networks, all failing at once: the checkers, not the apps.
    gw, clock, engine, app = world
    for i in range(3):
        gw.add_pool(f"P{i}")
        for j in range(4):
            gw.add_member(f"m{i}{j}", f"P{i}", f"10.{i}.0.{j + 1}")
        gw.add_gslb(f"h{i}", f"h{i}.example.com.", [(f"P{i}", 1)], all_down="NONE")
    members = [f"m{i}{j}" for i in range(3) for j in range(4)]
    for s in (0, 10):
        round_(engine, clock, [(m, True) for m in members], s)
    reconcile(engine)
    served = {i: [f"10.{i}.0.{j + 1}" for j in range(4)] for i in range(3)}
    for s in (20, 30):
        round_(engine, clock, [(m, False) for m in members], s)
    for i in range(3):
        g = gw.gslbs[f"h{i}"]
        assert g.publish_status.value == "HELD" and g.answers == served[i]
        assert app.get_answer(g.fqdn, ZONE).addresses == g.answers
    held = gw.entries("gslb")
    assert sum(e.to_state == "HELD" for e in held) == 3
    assert "12 of 15 monitored endpoints" in held[-1].reason      # the three B-pool members count too
    assert held[-1].evidence["would_publish"] == [] and held[-1].evidence["breaker"]["sites"] == 3
    assert reconcile(engine)["held"] == ["h0", "h1", "h2"]           # still tripping: still held
    assert sum(e.to_state == "HELD" for e in gw.entries("gslb")) == 3  # not re-recorded
    engine.handle("kosmos.engine.reconcile", {"scope": "gslb", "gslb_id": "h0"})
    assert gw.gslbs["h0"].answers == [] and app.get_answer("h0.example.com.", ZONE).addresses == []
    # members recover: the held GSLBs resume by themselves
    for s in (40, 50):
        round_(engine, clock, [(m, True) for m in members], s)
    assert {gw.gslbs[f"h{i}"].publish_status.value for i in range(3)} == {"SYNCED"}


def test_a_held_gslb_is_recorded_once_while_the_count_of_endpoints_down_grows(world):
    gw, clock, engine, app = world
    for i in range(3):
        gw.add_pool(f"P{i}")
        for j in range(4):
            gw.add_member(f"m{i}{j}", f"P{i}", f"10.{i}.0.{j + 1}")
        gw.add_gslb(f"h{i}", f"h{i}.example.com.", [(f"P{i}", 1)], all_down="NONE")
    members = [f"m{i}{j}" for i in range(3) for j in range(4)]
    for s in (0, 10):
        round_(engine, clock, [(m, True) for m in members], s)
    first = members[:11]     # h0 and h1 lose everything in the first cycle
    for s in (20, 30):
        round_(engine, clock, [(m, False) for m in first], s)
    for s in (40, 50):
        round_(engine, clock, [(m, False) for m in members], s)
    assert reconcile(engine)["held"] == ["h0", "h1", "h2"]   # looks again with the count at 12
    h0 = [e for e in gw.entries("gslb") if e.to_state == "HELD" and e.gslb_id == "h0"]
    assert len(h0) == 1 and h0[0].evidence["breaker"]["endpoints_down"] == 11


def test_a_users_change_to_a_held_gslb_does_not_publish_over_the_hold(world):
    # Every path that publishes is judged by the breaker, not only the results handler.
    gw, clock, engine, app = world
    for i in range(3):
        gw.add_pool(f"P{i}")
        for j in range(4):
            gw.add_member(f"m{i}{j}", f"P{i}", f"10.{i}.0.{j + 1}")
        gw.add_gslb(f"h{i}", f"h{i}.example.com.", [(f"P{i}", 1)], all_down="NONE")
    members = [f"m{i}{j}" for i in range(3) for j in range(4)]
    for s in (0, 10):
        round_(engine, clock, [(m, True) for m in members], s)
    for s in (20, 30):
        round_(engine, clock, [(m, False) for m in members], s)
    served = [f"10.0.0.{j + 1}" for j in range(4)]
    assert gw.gslbs["h0"].publish_status.value == "HELD"
    cause = {"op": "gslb.update", "resource": "gslb", "resource_id": "h0", "at": clock().isoformat()}
    out = engine.handle("kosmos.engine.decide", {"gslb_ids": ["h0"], "cause": cause})
    assert out["published"] == []
    assert gw.gslbs["h0"].publish_status.value == "HELD" and gw.gslbs["h0"].answers == served
    assert app.get_answer("h0.example.com.", ZONE).addresses == served


def test_one_dead_address_behind_many_gslbs_fails_over_at_once(world):
    # The shape of a regional load balancer failing: one endpoint, dozens of names.
    gw, clock, engine, app = world
    for i in range(30):
        gw.add_pool(f"Q{i}")
        gw.add_member(f"x{i}", f"Q{i}", "203.0.113.10")
        gw.add_member(f"y{i}", f"Q{i}", "198.51.100.20")
        gw.add_gslb(f"k{i}", f"k{i}.example.com.", [(f"Q{i}", 1)])
    xs, ys = [f"x{i}" for i in range(30)], [f"y{i}" for i in range(30)]
    for s in (0, 10):
        round_(engine, clock, [(m, True) for m in xs + ys], s)
    for s in (20, 30):
        round_(engine, clock, [(m, False) for m in ys] + [(m, True) for m in xs], s)
    assert {gw.gslbs[f"k{i}"].publish_status.value for i in range(30)} == {"SYNCED"}
    assert {tuple(gw.gslbs[f"k{i}"].answers) for i in range(30)} == {("203.0.113.10",)}
    assert not [e for e in gw.entries("gslb") if e.to_state == "HELD"]


def test_one_region_of_endpoints_going_dark_is_not_held(world):
    # Most of the deployment's endpoints (16 of 27), all in one region: a real outage.
    gw, clock, engine, app = world
    gw.add_pool("east")
    gw.add_pool("west")
    for j in range(16):
        gw.add_member(f"e{j}", "east", f"10.1.{j}.1", region="east")
    for j in range(8):
        gw.add_member(f"w{j}", "west", f"10.2.{j}.1", region="west")
    gw.add_gslb("gw", "gw.example.com.", [("east", 1), ("west", 1)])
    everyone = [f"e{j}" for j in range(16)] + [f"w{j}" for j in range(8)]
    for s in (0, 10):
        round_(engine, clock, [(m, True) for m in everyone], s)
    for s in (20, 30):
        round_(engine, clock, [(f"e{j}", False) for j in range(16)], s)
    assert gw.gslbs["gw"].publish_status.value == "SYNCED"
    assert gw.gslbs["gw"].answers == [f"10.2.{j}.1" for j in range(8)]


def test_scoped_reconcile_needs_an_id(world):
    gw, clock, engine, app = world
    with pytest.raises(ValidationError) as err:
        engine.handle("kosmos.engine.reconcile", {"scope": "gslb"})
    assert err.value.field == "gslb_id"


@pytest.mark.parametrize("op", ["gslb.set_answers", "health.write"])
def test_concurrent_writer_conflict_is_retried_not_lost(world, op):
    gw, clock, engine, app = world
    online(engine, clock)
    round_(engine, clock, [("a1", False)], 20)
    gw.metrics = MetricsBuffer(interval=0)
    gw.conflict_next[op] = 1
    round_(engine, clock, [("a1", False)], 30)
    assert gw.members["a1"].operating_status.value == "OFFLINE"
    assert app.get_answer(FQDN, ZONE).addresses == [A2] and gw.gslbs["g1"].answers == [A2]
    assert [e.to_state for e in gw.entries("gslb")] == [f"{A1},{A2}", A2]
    # the miss is counted, for operators to see contention between engine instances
    assert {(u["name"], u["labels"]): u["value"] for u in gw.metrics.take(True)}[
        ("kosmos_engine_rereads_total", 'event="results"')] == 1


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


def test_reconcile_leaves_answers_another_writer_holds_to_the_next_cycle(world):
    gw, clock, engine, app = world
    gw.add_gslb("g2", "two.example.com.", [("B", 1)])
    gw.conflict_next["gslb.set_answers"] = 1
    out = reconcile(engine)     # the one store of both answers was refused: both wait
    assert out["conflicts"] == ["g1", "g2"] and out["published"] == []
    assert reconcile(engine)["published"] == ["g1", "g2"]


def test_a_large_reconcile_is_sent_on_as_shards_that_each_repair_their_part():
    gw = FakeGateway()
    gw.add_monitor("mon")
    gw.add_pool("A")
    gw.add_member("a1", "A", A1)
    for i in range(25):
        gw.add_gslb(f"g{i:02d}", f"n{i}.example.com.", [("A", 1)])
    gw.tombs["t1"] = Tombstone(id="t1", project_id="proj", gslb_id="gone",
                               fqdn="gone.example.com.", zone_name=ZONE, created_at=T0)
    engine, app = make_engine(gw, Clock(), regions=["r1"], reconcile_shard_size=10)
    app.set_answer("gone.example.com.", ZONE, ["10.0.0.1"], 30)
    bus = InMemoryEmitter()
    engine.deps.emitter = bus
    at = "2026-12-01T10:00:00Z"
    out = reconcile(engine, scheduled_at=at)
    assert out == {"gslbs": 25, "shards": 3, "tombstones_removed": 1}
    assert "gslb.trees" not in gw.calls                               # no trees for the 'all'
    shards = bus.of_type("kosmos.engine.reconcile")
    assert [len(e.data["gslb_ids"]) for e in shards] == [10, 10, 5]
    assert sorted(i for e in shards for i in e.data["gslb_ids"]) == sorted(gw.gslbs)
    assert len({e.id for e in shards}) == 3
    reconcile(engine, scheduled_at=at)                                  # redelivered: same shards
    assert [e.id for e in bus.of_type("kosmos.engine.reconcile")[3:]] == [e.id for e in shards]
    published = []
    for e in shards:                                                    # any instance, any order
        published += engine.handle("kosmos.engine.reconcile", e.data)["published"]
    assert sorted(published) == sorted(gw.gslbs)
    assert all(app.get_answer(f"n{i}.example.com.", ZONE).addresses == [A1] for i in range(25))
    assert app.get_answer("gone.example.com.", ZONE).addresses == []
    assert engine.handle("kosmos.engine.reconcile", shards[0].data)["published"] == []


def test_a_small_reconcile_or_one_without_a_publisher_is_done_in_place(world):
    gw, clock, engine, app = world
    engine.deps.emitter = InMemoryEmitter()
    assert reconcile(engine)["published"] == ["g1"] and not engine.deps.emitter.events
    with pytest.raises(ValidationError, match="gslb_ids"):
        engine.handle("kosmos.engine.reconcile", {"scope": "gslbs"})
