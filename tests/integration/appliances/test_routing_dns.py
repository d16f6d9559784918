"""Steered answers through real DNS queries: the embedded server and PowerDNS (LUA records).

The engine's decision (``kosmos.domain.routing.decide``) goes to the appliance
through its driver, and 10,000 queries with dnspython count what clients get.
"""
from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timezone

import dns.edns
import dns.message
import dns.query
import pytest

from kosmos.appliances.impl_local import LocalAppliance
from kosmos_local.dns import serve
from kosmos.appliances.registry import load
from kosmos.config import Settings
from kosmos.contracts.conductor import GslbTree, GslbTreePool
from kosmos.contracts.resources import Gslb, Member, Pool
from kosmos.domain.routing import Group, Route, Target, decide

from .conftest import API_KEY

ZONE = "example.com."
NOW = datetime.now(timezone.utc)
BASE = {"project_id": "p", "created_at": NOW, "updated_at": NOW}
QUERIES = 10_000
# chi-square with 2 degrees of freedom: P(X > x) = exp(-x / 2); 27.6 is p = 1e-6, so a
# correct server fails this once in a million runs, and a wrong share fails it always
CHI2_DF2 = 27.6


class Dns:
    """One appliance under test: its driver and where to query it."""

    def __init__(self, driver, port: int):
        self.driver, self.port = driver, port

    def ask(self, fqdn: str, rtype: str = "A", ecs: str | None = None) -> tuple[list[str], int | None]:
        options = []
        if ecs:
            address, prefix = ecs.split("/")
            options = [dns.edns.ECSOption(address, int(prefix))]
        q = dns.message.make_query(fqdn, rtype, use_edns=0, options=options)
        resp = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=3)
        got = [r.to_text() for rrset in resp.answer for r in rrset]
        scope = next((o.scopelen for o in resp.options if isinstance(o, dns.edns.ECSOption)), None)
        return got, scope


@pytest.fixture(params=["local", "powerdns"])
def appliance(request, tmp_path):
    if request.param == "local":
        srv = serve("127.0.0.1", 0, 0, str(tmp_path / "dns.json"))
        try:
            yield Dns(LocalAppliance(Settings(local_dns_url=srv.control_url)), srv.dns_port)
        finally:
            srv.stop()
        return
    pdns = request.getfixturevalue("powerdns")
    pdns.create_zone(ZONE)
    yield Dns(load("powerdns", Settings(powerdns_api_url=pdns.api_url, powerdns_api_key=API_KEY)),
              pdns.dns_port)


def member(mid: str, addr: str, status: str = "ONLINE", weight: int = 1, up: bool = True) -> Member:
    return Member(id=mid, pool_id="x", type="IP", address=addr, port=80, weight=weight,
                  admin_state_up=up, operating_status=status, **BASE)


def tree(fqdn: str, pools: list[list[Member]], routing: str, subnets=None, **fields) -> GslbTree:
    g = Gslb(id="g", fqdn=fqdn, zone_name=ZONE, routing=routing, **fields, **BASE)
    subnets = subnets or [[] for _ in pools]
    return GslbTree(gslb=g, pools=[GslbTreePool(
        pool=Pool(id=f"pool{i}", client_subnets=subnets[i], **BASE), priority=i + 1, members=ms)
        for i, ms in enumerate(pools)])


def serve_decision(appliance: Dns, t: GslbTree) -> None:
    d = decide(t, [], datetime.now(timezone.utc))
    appliance.driver.set_answer(t.gslb.fqdn, ZONE, d.answers, 30, d.route)


def chi2(counts: Counter, weights: dict[str, float]) -> float:
    n, total = sum(counts.values()), sum(weights.values())
    return sum((counts[a] - n * w / total) ** 2 / (n * w / total) for a, w in weights.items())


def test_weighted_shares_follow_the_weights_and_never_hold_an_unfit_member(appliance):
    fqdn = "w.example.com."
    t = tree(fqdn, [[member("a", "192.0.2.1", weight=1), member("b", "192.0.2.2", weight=2),
                     member("c", "192.0.2.3", weight=3),
                     member("down", "192.0.2.9", "OFFLINE", weight=50),
                     member("off", "192.0.2.8", up=False, weight=50),
                     member("drained", "192.0.2.7", weight=0)]], "WEIGHTED", max_answers=1)
    serve_decision(appliance, t)
    counts = Counter()
    for _ in range(QUERIES):
        got, _scope = appliance.ask(fqdn)
        assert len(got) == 1
        counts[got[0]] += 1
    assert set(counts) == {"192.0.2.1", "192.0.2.2", "192.0.2.3"}    # never 9, 8 or 7
    assert chi2(counts, {"192.0.2.1": 1, "192.0.2.2": 2, "192.0.2.3": 3}) < CHI2_DF2, counts


def test_weighted_without_max_answers_gives_every_member_once(appliance):
    fqdn = "all.example.com."
    serve_decision(appliance, tree(fqdn, [[member("a", "192.0.2.1"), member("b", "192.0.2.2", weight=9)]],
                                   "WEIGHTED"))
    for _ in range(50):
        got, _ = appliance.ask(fqdn)
        assert sorted(got) == ["192.0.2.1", "192.0.2.2"]


def test_geo_answers_by_client_subnet_and_falls_through(appliance):
    fqdn = "geo.example.com."
    t = tree(fqdn, [[member("eu", "192.0.2.1")], [member("us", "198.51.100.1")],
                    [member("ap", "203.0.113.1", "OFFLINE")]], "GEO",
             subnets=[["10.1.0.0/16"], ["10.2.0.0/16", "2001:db8:2::/48"], ["10.3.0.0/16"]])
    serve_decision(appliance, t)
    for _ in range(20):
        assert appliance.ask(fqdn, ecs="10.1.7.0/24")[0] == ["192.0.2.1"]
        assert appliance.ask(fqdn, ecs="10.2.9.0/24")[0] == ["198.51.100.1"]
        assert appliance.ask(fqdn, ecs="10.3.1.0/24")[0] == ["192.0.2.1"]   # its pool is down
        assert appliance.ask(fqdn, ecs="192.0.2.0/24")[0] == ["192.0.2.1"]  # unmatched: first pool
    got, scope = appliance.ask(fqdn, ecs="10.2.9.0/24")
    assert scope is not None and scope >= 16          # the answer depends on the /16
    assert appliance.ask(fqdn)[0] == ["192.0.2.1"]    # no ECS: the resolver (127.0.0.1), unmatched


def test_slow_start_is_a_rising_share(appliance):
    fqdn = "ramp.example.com."
    ramp = 6.0
    since = time.time()
    route = Route("WEIGHTED", (Group("p", (Target("192.0.2.1", 1, since=since),
                                           Target("192.0.2.2", 1))),), 1, int(ramp))
    appliance.driver.set_answer(fqdn, ZONE, route.addresses(), 30, route)

    def share(start: float, end: float) -> float:
        """The returning member's share of the answers while the ramp is in [start, end)."""
        while time.time() < since + start * ramp:
            time.sleep(0.05)
        got = []
        while time.time() < since + end * ramp or len(got) < 50:
            got.append(appliance.ask(fqdn)[0][0])
        return got.count("192.0.2.1") / len(got)
    # effective weight f of the other's 1: share f / (1 + f), i.e. < 0.23, ~0.29-0.41, 0.5
    shares = [share(0.0, 0.3), share(0.4, 0.7), share(1.05, 1.3)]
    assert shares[0] < 0.3 and shares[0] < shares[1] < shares[2] and shares[2] > 0.42, shares


def test_the_driver_reads_back_the_route_it_serves(appliance):
    fqdn = "rb.example.com."
    route = Route("WEIGHTED", (Group("p", (Target("192.0.2.1", 2), Target("2001:db8::1", 1))),))
    appliance.driver.set_answer(fqdn, ZONE, route.addresses(), 30, route)
    served = appliance.driver.get_answer(fqdn, ZONE)
    assert served.matches(route.addresses(), 30, route)
    other = Route("WEIGHTED", (Group("p", (Target("192.0.2.1", 3), Target("2001:db8::1", 1))),))
    assert not served.matches(route.addresses(), 30, other)        # a weight changed: drift
    assert appliance.ask(fqdn, "AAAA")[0] == ["2001:db8::1"]
    appliance.driver.set_answer(fqdn, ZONE, ["192.0.2.5"], 30)      # back to a static answer
    assert appliance.ask(fqdn)[0] == ["192.0.2.5"]
    assert appliance.driver.get_answer(fqdn, ZONE).matches(["192.0.2.5"], 30)
