from __future__ import annotations

import pytest

from .fakes import Clock, FakeGateway, make_engine

REGIONS = ["r1", "r2", "r3"]


@pytest.fixture
def world():
    """Pool A (a1, a2) before pool B (b1) behind www.example.com.; monitor rise 2, fall 2."""
    gw = FakeGateway()
    gw.add_monitor("mon", delay=10, rise=2, fall=2)
    gw.add_pool("A")
    gw.add_pool("B")
    gw.add_member("a1", "A", "192.0.2.1")
    gw.add_member("a2", "A", "192.0.2.2")
    gw.add_member("b1", "B", "198.51.100.1")
    gw.add_gslb("g1", "www.example.com.", [("A", 1), ("B", 2)])
    clock = Clock()
    engine, appliance = make_engine(gw, clock, regions=REGIONS)
    return gw, clock, engine, appliance
