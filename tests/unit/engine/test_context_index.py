"""The engine's context answers which GSLBs use a pool from an index built once."""
from __future__ import annotations

from kosmos.engine.gateway import EngineContext

from .fakes import FakeGateway


def test_gslbs_of_a_pool_are_every_gslb_linking_it_sorted():
    gw = FakeGateway()
    gw.add_gslb("g3", "c.example.com.", [("p1", 1), ("p2", 2)])
    gw.add_gslb("g1", "a.example.com.", [("p1", 1)])
    gw.add_gslb("g2", "b.example.com.", [("p2", 1)])
    ctx = EngineContext(gslbs=dict(gw.gslbs))
    assert ctx.gslbs_of_pool("p1") == ["g1", "g3"]
    assert ctx.gslbs_of_pool("p2") == ["g2", "g3"]
    assert ctx.gslbs_of_pool("nowhere") == []
    assert EngineContext().gslbs_of_pool("p1") == []


def test_the_index_is_built_once_per_context():
    gw = FakeGateway()
    for i in range(50):
        gw.add_gslb(f"g{i:02}", f"n{i}.example.com.", [(f"p{i % 5}", 1)])

    class Counted(dict):
        reads = 0

        def values(self):
            Counted.reads += 1
            return super().values()

    ctx = EngineContext(gslbs=Counted(gw.gslbs))
    for _ in range(3):
        for p in range(5):
            assert len(ctx.gslbs_of_pool(f"p{p}")) == 10
    assert Counted.reads == 1
