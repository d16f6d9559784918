"""History says which endpoint moved, and where it was seen."""
from __future__ import annotations

from .test_faults_and_reconcile import online, round_


def test_member_and_health_reasons_name_the_address_and_region(world):
    gw, clock, engine, app = world
    online(engine, clock)
    for s in (20, 30):
        round_(engine, clock, [("a1", False), ("a2", True), ("b1", True)], s)
    member = [e for e in gw.entries("member") if e.to_state == "OFFLINE"]
    health = [e for e in gw.entries("health") if e.to_state == "DOWN"]
    assert member and member[-1].reason.startswith("192.0.2.1:80: ")
    assert health and all(e.reason.startswith("192.0.2.1:80 in region r") for e in health)
