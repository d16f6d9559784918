"""Routing policies: what each decides, and what each query gets from a route."""
from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest

from kosmos.contracts.conductor import GslbTree, GslbTreePool
from kosmos.contracts.resources import Gslb, Pool
from kosmos.domain.routing import POLICIES, Route, decide, pick
from kosmos.domain.routing.route import Group, Target, effective_weight

from .test_answers import BASE, NOW, member

A1, A2, A3, B1, C1 = "192.0.2.1", "192.0.2.2", "192.0.2.3", "198.51.100.1", "203.0.113.1"
V6 = "2001:db8::1"


def gslb_tree(pools, routing="PRIORITY", subnets=None, **fields) -> GslbTree:
    g = Gslb(id="g", fqdn="www.example.com.", zone_name="example.com.", routing=routing,
             **fields, **BASE)
    subnets = subnets or [[] for _ in pools]
    return GslbTree(gslb=g, pools=[
        GslbTreePool(pool=Pool(id=f"pool{i}", client_subnets=subnets[i], **BASE),
                     priority=(i + 1) * 10, members=ms) for i, ms in enumerate(pools)])


def back_at(mid, addr, seconds_ago, weight=1):
    m = member(mid, addr, weight=weight)
    return m.model_copy(update={"status_changed_at": NOW - timedelta(seconds=seconds_ago)})


def test_every_policy_is_a_module_with_decide_and_pick():
    assert set(POLICIES) == {"PRIORITY", "WEIGHTED", "GEO"}
    for name, module in POLICIES.items():
        assert module.NAME == name and callable(module.decide)
        assert module.PER_QUERY == hasattr(module, "pick")


def test_priority_caps_by_weight_then_address_per_family():
    t = gslb_tree([[member("a1", A1), member("a2", A2, weight=5), member("a3", A3, weight=5),
                    member("v", V6)]], max_answers=1)
    d = decide(t, [], NOW)
    assert d.route is None and d.answers == [A2, V6]       # one per family: weight 5, lowest address
    assert d.reason.endswith("; 2 of 4 addresses by max_answers")
    assert decide(t, [], NOW, limit=1).reason.endswith("limit of 1 addresses per family")


def test_weighted_route_holds_the_first_qualifying_pool_with_weights():
    t = gslb_tree([[member("a1", A1, "OFFLINE"), member("a2", A2, weight=3),
                    member("a3", A3, weight=0)], [member("b1", B1)]], routing="WEIGHTED",
                  max_answers=2)
    d = decide(t, [], NOW)
    assert d.answers == [A2] and d.route.policy == "WEIGHTED" and d.route.max_answers == 2
    assert [(x.address, x.weight) for x in d.route.groups[0].targets] == [(A2, 3)]
    assert Route.from_dict(d.route.to_dict()) == d.route


def test_weighted_fail_open_draws_from_every_enabled_member():
    t = gslb_tree([[member("a1", A1, "OFFLINE")], [member("b1", B1, "OFFLINE", weight=2)]],
                  routing="WEIGHTED", max_answers=1)
    d = decide(t, [], NOW)
    assert d.rule == "all_down:ALL" and d.answers == [A1, B1]
    for _ in range(20):
        assert len(pick(d.route, 4)[0]) == 1                 # max_answers holds when failing open


def test_geo_groups_every_qualifying_pool_in_priority_order():
    t = gslb_tree([[member("a1", A1)], [member("b1", B1, "OFFLINE")], [member("c1", C1)]],
                  routing="GEO", subnets=[["10.0.0.0/8"], ["172.16.0.0/12"], ["10.1.0.0/16"]])
    d = decide(t, [], NOW)
    assert [g.pool_id for g in d.route.groups] == ["pool0", "pool2"] and d.answers == [A1, C1]
    assert pick(d.route, 4, "10.1.2.3")[0] == [C1]          # the most specific subnet
    assert pick(d.route, 4, "10.9.9.9")[0] == [A1]
    assert pick(d.route, 4, "172.16.0.1")[0] == [A1]        # its pool failed: falls through
    assert pick(d.route, 4, "192.0.2.99")[0] == [A1]        # unmatched: the first pool
    assert pick(d.route, 4, "10.1.2.3")[1] == 16            # scope: the longest subnet
    assert pick(d.route, 6, "2001:db8::9") == ([], 0)


def test_geo_skips_groups_without_the_family():
    route = Route("GEO", (Group("p0", (Target(A1),), ("10.0.0.0/8",)), Group("p1", (Target(V6),))))
    assert pick(route, 6, "10.0.0.1")[0] == [V6]
    assert pick(route, 4, "10.0.0.1")[0] == [A1]


def test_weighted_draws_without_replacement_up_to_max_answers():
    route = Route("WEIGHTED", (Group("p", (Target(A1, 1), Target(A2, 2), Target(A3, 3))),),
                  max_answers=2)
    rng = random.Random(7)
    firsts = Counter()
    for _ in range(6000):
        got, scope = pick(route, 4, None, NOW.timestamp(), rng)
        assert len(got) == 2 and len(set(got)) == 2 and scope == 0
        firsts[got[0]] += 1
    assert firsts[A3] > firsts[A2] > firsts[A1] > 0
    assert pick(Route("WEIGHTED", (Group("p", (Target(A1),)),)), 4, None, 0, rng)[0] == [A1]


def test_slow_start_ramps_weighted_members_linearly():
    t = Target(A1, 4, since=100.0)
    assert [effective_weight(t, 10, now) for now in (90, 100, 105, 110, 200)] == [0, 0, 2, 4, 4]
    assert effective_weight(Target(A1, 4), 10, 100) == 4
    route = Route("WEIGHTED", (Group("p", (Target(A1, 1, since=100.0), Target(A2, 1))),),
                  max_answers=1, slow_start=10)
    rng = random.Random(1)
    share = [sum(pick(route, 4, None, now, rng)[0] == [A1] for _ in range(2000)) / 2000
             for now in (101, 105, 111)]
    assert share[0] < share[1] < share[2] and share[0] < 0.1 and 0.4 < share[2] < 0.6


def test_weighted_route_carries_when_members_came_back():
    t = gslb_tree([[back_at("a1", A1, 30), member("a2", A2)]], routing="WEIGHTED", slow_start=60)
    targets = decide(t, [A2], NOW).route.groups[0].targets
    assert targets[0].since == (NOW - timedelta(seconds=30)).timestamp()
    assert decide(t.model_copy(update={"gslb": t.gslb.model_copy(update={"slow_start": 0})}),
                  [A2], NOW).route.groups[0].targets[0].since is None


def test_priority_slow_start_holds_a_returning_member_and_says_when_to_look_again():
    t = gslb_tree([[back_at("a1", A1, 30), member("a2", A2)]], slow_start=60)
    d = decide(t, [A2], NOW)
    assert d.answers == [A2] and "held back by slow start" in d.reason
    assert d.wake_at == NOW + timedelta(seconds=30)
    assert decide(t, [A2], NOW + timedelta(seconds=31)).answers == [A1, A2]
    assert decide(t, [A1, A2], NOW).answers == [A1, A2]     # already served: not taken out
    only = gslb_tree([[back_at("a1", A1, 30)], [member("b1", B1)]], slow_start=60)
    assert decide(only, [B1], NOW).answers == [B1]          # the next pool serves meanwhile


def test_last_known_keeps_the_served_route():
    t = gslb_tree([[member("a1", A1, "OFFLINE")]], routing="WEIGHTED", all_down="LAST_KNOWN")
    served = Route("WEIGHTED", (Group("pool0", (Target(A1, 2), Target(A2, 1))),))
    d = decide(t, [A1, A2], NOW, current_route=served)
    assert d.rule == "all_down:LAST_KNOWN" and d.route == served and d.answers == [A1, A2]


@pytest.mark.parametrize("bad", [{}, {"policy": "GEO", "groups": [{"pool_id": "p", "targets": [
    {"address": "not-an-ip"}]}]}, {"policy": "GEO", "groups": [{"pool_id": "p", "targets": [],
                                                              "subnets": ["10.0.0.0/33"]}]}])
def test_a_route_is_checked_when_read(bad):
    with pytest.raises(ValueError):
        Route.from_dict(bad)
