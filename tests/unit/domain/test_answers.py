"""Per-GSLB answer: priority, enabled members, all_down policies, canonical order."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kosmos.contracts.conductor import GslbTree, GslbTreePool
from kosmos.contracts.resources import Gslb, Member, Pool
from kosmos.domain.answers import canonical, split_families
from kosmos.domain.routing import decide

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
BASE = {"project_id": "p", "created_at": NOW, "updated_at": NOW}


def member(mid: str, addr: str, status: str = "ONLINE", weight: int = 1, up: bool = True,
           endpoints: list[str] | None = None) -> Member:
    return Member(id=mid, pool_id="x", type="IP", address=addr, port=80, weight=weight,
                  admin_state_up=up, operating_status=status, endpoints=endpoints or [], **BASE)


def tree(pools: list[list[Member]], all_down: str = "ALL") -> GslbTree:
    g = Gslb(id="g", fqdn="www.example.com.", zone_name="example.com.", all_down=all_down, **BASE)
    return GslbTree(gslb=g, pools=[
        GslbTreePool(pool=Pool(id=f"pool{i}", **BASE), priority=(i + 1) * 10, members=ms)
        for i, ms in enumerate(pools)])


A1, A2, B1 = "192.0.2.1", "192.0.2.2", "198.51.100.1"


@pytest.mark.parametrize("pools, all_down, current, expected, rule", [
    ([[member("a1", A1), member("a2", A2)], [member("b1", B1)]], "ALL", [], [A1, A2], "pool"),
    ([[member("a1", A1, "OFFLINE"), member("a2", A2)], [member("b1", B1)]], "ALL", [], [A2], "pool"),
    ([[member("a1", A1, "OFFLINE"), member("a2", A2, "OFFLINE")], [member("b1", B1)]], "ALL", [], [B1], "pool"),
    ([[member("a1", A1, "NO_MONITOR")], [member("b1", B1)]], "ALL", [], [A1], "pool"),   # unknown = healthy
    ([[member("a1", A1, weight=0), member("a2", A2, up=False)], [member("b1", B1)]], "ALL", [], [B1], "pool"),
    # nothing healthy: the three policies
    ([[member("a1", A1, "OFFLINE"), member("a2", A2, "OFFLINE", weight=0)], [member("b1", B1, "OFFLINE")]],
     "ALL", [A2], [A1, B1], "all_down:ALL"),
    ([[member("a1", A1, "OFFLINE")], [member("b1", B1, "OFFLINE")]], "LAST_KNOWN", [A2], [A2],
     "all_down:LAST_KNOWN"),
    ([[member("a1", A1, "OFFLINE")], [member("b1", B1, "OFFLINE")]], "NONE", [A2], [], "all_down:NONE"),
    ([[member("a1", A1, "ONLINE", up=False)]], "NONE", [A1], [], "all_down:NONE"),   # disabled never served
    ([], "ALL", [A1], [], "all_down:ALL"),
])
def test_decide(pools, all_down, current, expected, rule):
    d = decide(tree(pools, all_down), current)
    assert (d.answers, d.rule) == (expected, rule), d.reason


def test_priority_not_list_order():
    t = tree([[member("a1", A1)], [member("b1", B1)]])
    t.pools[0].priority, t.pools[1].priority = 50, 5
    d = decide(t, [])
    assert d.answers == [B1] and d.pool_id == "pool1"


def test_min_healthy_skips_thin_pools():
    t = tree([[member("a1", A1), member("a2", A2, "OFFLINE")], [member("b1", B1), member("b2", "198.51.100.2")]])
    assert decide(t, [], min_healthy=2).answers == [B1, "198.51.100.2"]
    assert decide(t, [], min_healthy=1).answers == [A1]


def test_endpoints_win_over_address_and_families_split():
    t = tree([[member("n1", A1, endpoints=["2001:db8::2", "203.0.113.9", "2001:db8::1"])]])
    d = decide(t, [])
    assert d.answers == ["203.0.113.9", "2001:db8::1", "2001:db8::2"]
    assert split_families(d.answers) == (["203.0.113.9"], ["2001:db8::1", "2001:db8::2"])


def test_canonical():
    assert canonical(["10.0.0.10", "10.0.0.9", "bad", "10.0.0.9", "::1"]) == ["10.0.0.9", "10.0.0.10", "::1"]


def test_canonical_knows_one_address_however_written():
    """Addresses are compared by value: spellings of one address give one answer entry,
    whichever comes first and however often they were seen before."""
    for _ in range(2):   # the second time from what the first parsed
        assert canonical([" 2001:db8::1", "2001:DB8:0::1", "10.0.0.1 ", "10.0.0.1"]) == [
            "10.0.0.1", "2001:db8::1"]
    assert canonical(["2001:db8::2", "10.0.0.2", "", " ", "10.0.0.256"]) == ["10.0.0.2", "2001:db8::2"]
