"""Slow start through the engine: PRIORITY holds a returning member back and re-adds it
with the first event after its time; WEIGHTED hands the ramp to the appliance."""
from __future__ import annotations

from datetime import timedelta

from kosmos.domain.routing import Route

from .fakes import _update
from .test_faults_and_reconcile import A1, A2, online, round_


def _flap_a1(engine, clock, start: int = 20) -> None:
    """a1 fails twice (fall 2), then passes twice (rise 2): back ONLINE at ``start + 30``."""
    for s in (start, start + 10):
        round_(engine, clock, [("a1", False), ("a2", True), ("b1", True)], s)
    for s in (start + 20, start + 30):
        round_(engine, clock, [("a1", True), ("a2", True), ("b1", True)], s)


def test_priority_holds_a_returning_member_until_its_slow_start_ends(world):
    gw, clock, engine, app = world
    gw.gslbs["g1"] = _update(gw.gslbs["g1"], {"slow_start": 60})
    online(engine, clock)
    assert gw.gslbs["g1"].answers == [A1, A2]
    _flap_a1(engine, clock)
    a1 = gw.members["a1"]
    assert a1.operating_status.value == "ONLINE"
    assert gw.gslbs["g1"].answers == [A2] and "held back by slow start" in gw.gslbs["g1"].answer_reason
    back = a1.status_changed_at
    s = 60
    while clock.now < back + timedelta(seconds=60):
        assert gw.gslbs["g1"].answers == [A2]        # results keep coming; nothing else changes
        round_(engine, clock, [("a1", True), ("a2", True), ("b1", True)], s)
        s += 10
    assert gw.gslbs["g1"].answers == [A1, A2]
    woken = [e for e in gw.entries("gslb") if e.evidence.get("trigger") == "kosmos.engine.slow_start"]
    assert woken and woken[-1].reason.startswith("slow start over")
    assert app.get_answer("www.example.com.", "example.com.").addresses == [A1, A2]


def test_weighted_hands_the_ramp_to_the_appliance(world):
    gw, clock, engine, app = world
    gw.gslbs["g1"] = _update(gw.gslbs["g1"], {"slow_start": 60, "routing": "WEIGHTED"})
    online(engine, clock)
    _flap_a1(engine, clock)
    assert gw.gslbs["g1"].answers == [A1, A2]           # served at once, from weight 0
    route = Route.from_dict(gw.routes["g1"])
    since = {t.address: t.since for t in route.groups[0].targets}
    assert since[A1] == gw.members["a1"].status_changed_at.timestamp()
    assert route.slow_start == 60 and route.digest() == app.records["www.example.com."].route_digest
