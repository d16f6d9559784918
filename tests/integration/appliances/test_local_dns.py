"""The local responder answers like an authoritative server; the local driver drives it."""
from __future__ import annotations

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from kosmos.appliances.base import Served
from kosmos.appliances.impl_local import LocalAppliance
from kosmos_local.dns import serve
from kosmos.config import Settings
from kosmos.errors import ApplianceError

FQDN, ZONE = "www.example.com.", "example.com."


@pytest.fixture
def server(tmp_path):
    srv = serve("127.0.0.1", 0, 0, str(tmp_path / "dns.json"))
    yield srv
    srv.stop()


@pytest.fixture
def driver(server):
    return LocalAppliance(Settings(local_dns_url=server.control_url))


def ask(server, name: str, rtype: str = "A", tcp: bool = False) -> dns.message.Message:
    q = dns.message.make_query(name, rtype)
    fn = dns.query.tcp if tcp else dns.query.udp
    return fn(q, "127.0.0.1", port=server.dns_port, timeout=3)


def addresses(resp: dns.message.Message) -> list[str]:
    return sorted(r.to_text() for rrset in resp.answer for r in rrset)


def test_set_read_back_and_resolve(server, driver):
    driver.set_answer(FQDN, ZONE, ["192.0.2.2", "2001:db8::1", "192.0.2.1"], 42)
    assert driver.get_answer(FQDN, ZONE) == Served(["192.0.2.1", "192.0.2.2", "2001:db8::1"], 42)
    for tcp in (False, True):
        a = ask(server, FQDN, "A", tcp)
        assert a.rcode() == dns.rcode.NOERROR and a.flags & dns.flags.AA
        assert addresses(a) == ["192.0.2.1", "192.0.2.2"] and a.answer[0].ttl == 42
        assert addresses(ask(server, FQDN, "AAAA", tcp)) == ["2001:db8::1"]


def test_rcodes(server, driver):
    driver.set_answer(FQDN, ZONE, ["192.0.2.1"], 30)
    nodata = ask(server, FQDN, "MX")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert nodata.authority[0].rdtype == dns.rdatatype.SOA
    assert ask(server, FQDN, "AAAA").answer == []                 # no IPv6 address: NODATA
    nx = ask(server, "nope.example.com.")
    assert nx.rcode() == dns.rcode.NXDOMAIN and nx.flags & dns.flags.AA and nx.authority
    assert ask(server, "www.example.org.").rcode() == dns.rcode.REFUSED
    soa = ask(server, ZONE, "SOA")
    assert soa.rcode() == dns.rcode.NOERROR and soa.answer[0].rdtype == dns.rdatatype.SOA
    driver.set_answer("a.b.example.com.", ZONE, ["192.0.2.9"], 30)
    assert ask(server, "b.example.com.").rcode() == dns.rcode.NOERROR   # empty non-terminal


def test_idempotent_change_and_remove(server, driver):
    driver.set_answer(FQDN, ZONE, ["192.0.2.1"], 30)
    serial = server.store.serial
    driver.set_answer(FQDN, ZONE, ["192.0.2.1"], 30)
    assert server.store.serial == serial                           # same answer: nothing changed
    driver.set_answer(FQDN, ZONE, ["192.0.2.3"], 30)
    assert addresses(ask(server, FQDN)) == ["192.0.2.3"]
    driver.remove(FQDN, ZONE)
    driver.remove(FQDN, ZONE)
    assert driver.get_answer(FQDN, ZONE) == Served()
    assert ask(server, FQDN).rcode() == dns.rcode.NXDOMAIN        # zone still managed
    driver.set_answer(FQDN, ZONE, [], 30)                          # empty answer = nothing served
    assert ask(server, FQDN).rcode() == dns.rcode.NXDOMAIN


def test_restart_keeps_answers(tmp_path):
    path = str(tmp_path / "state.json")
    with serve("127.0.0.1", 0, 0, path) as first:
        LocalAppliance(Settings(local_dns_url=first.control_url)).set_answer(FQDN, ZONE, ["192.0.2.7"], 30)
    with serve("127.0.0.1", 0, 0, path) as second:
        assert addresses(ask(second, FQDN)) == ["192.0.2.7"]


def test_large_answer_truncates_over_udp_and_fits_over_tcp(server, driver):
    many = [f"10.0.{i // 250}.{i % 250 + 1}" for i in range(120)]
    driver.set_answer(FQDN, ZONE, many, 30)
    udp = ask(server, FQDN)
    assert udp.flags & dns.flags.TC
    assert len(addresses(ask(server, FQDN, tcp=True))) == 120


def test_down_responder_is_appliance_error(server, driver):
    server.stop()
    with pytest.raises(ApplianceError):
        driver.set_answer(FQDN, ZONE, ["192.0.2.1"], 30)
    with pytest.raises(ApplianceError):
        LocalAppliance(Settings(local_dns_url=None)).get_answer(FQDN, ZONE)


def test_stop_drops_kept_alive_connections(server, driver):
    driver.set_answer(FQDN, ZONE, ["192.0.2.1"], 30)      # the driver's session keeps its connection
    server.stop()
    with pytest.raises(ApplianceError):
        driver.set_answer(FQDN, ZONE, ["192.0.2.2"], 30)
    assert server.store.get(FQDN).a == ["192.0.2.1"]


def test_many_answers_in_one_request_each_written_to_the_state_file_once(server, driver, tmp_path):
    from kosmos.appliances.base import NameAnswer
    from kosmos.errors import ApplianceRefused

    writes = []
    store = server.store
    persist = store._changed
    store._changed = lambda: (writes.append(1), persist())[1]
    names = [f"n{i}.example.com." for i in range(1200)]
    failed = driver.set_answers(ZONE, [NameAnswer(n, ["192.0.2.1", "2001:db8::1"], 60)
                                       for n in names])
    assert failed == {}
    assert len(writes) == 3                       # 1,200 names in PATCHes of 500: three writes
    assert addresses(ask(server, names[1100])) == ["192.0.2.1"]
    assert driver.zone_answers(ZONE)[names[7]] == Served(["192.0.2.1", "2001:db8::1"], 60)
    assert len(serve_again(tmp_path).store.names) == 1200   # what a restart serves

    # The same answers again change nothing, so nothing is written.
    assert driver.set_answers(ZONE, [NameAnswer(n, ["192.0.2.1", "2001:db8::1"], 60)
                                     for n in names[:10]]) == {}
    assert len(writes) == 3

    # An answer the server refuses is named; the others of its request are served.
    bad_route = {"policy": "WEIGHTED", "groups": "not a list"}
    out = driver.set_answers(ZONE, [NameAnswer("a.example.com.", ["192.0.2.9"], 30),
                                    NameAnswer("b.example.com.", ["192.0.2.9"], 30),
                                    ("outside.example.org.", ["192.0.2.9"], 30)])
    assert list(out) == ["outside.example.org."] and isinstance(out["outside.example.org."],
                                                                 ApplianceRefused)
    assert "not inside example.com." in out["outside.example.org."].message
    assert addresses(ask(server, "b.example.com.")) == ["192.0.2.9"]
    resp = driver._call("PATCH", "/v1/zones/example.com./records", {"records": [
        {"fqdn": "c.example.com.", "addresses": ["192.0.2.9"], "ttl": 30, "route": bad_route},
        {"fqdn": "d.example.com.", "addresses": ["192.0.2.9"], "ttl": "30"},
        {"fqdn": "e.example.com.", "addresses": "192.0.2.9", "ttl": 30},
        "not an object"]})
    assert sorted(resp.json()["failed"]) == ["c.example.com.", "d.example.com.", "e.example.com.",
                                             "records[3]"]
    assert "ttl" in resp.json()["failed"]["d.example.com."]
    assert store.get("c.example.com.") is None and store.get("d.example.com.") is None


def test_a_patch_that_is_not_one_is_refused_whole(server, driver):
    import requests
    url = f"{server.control_url}/v1/zones/example.com./records"
    assert requests.patch(url, data=b"[1, 2]", timeout=5).status_code == 400
    assert requests.patch(url, json={"records": "x"}, timeout=5).status_code == 400
    many = [{"fqdn": f"m{i}.example.com.", "addresses": ["192.0.2.1"]} for i in range(1001)]
    resp = requests.patch(url, json={"records": many}, timeout=5)
    assert resp.status_code == 400 and "at most 1000" in resp.json()["error"]
    assert requests.patch(f"{server.control_url}/v1/zones/-bad-/records", json={"records": []},
                          timeout=5).status_code == 400
    assert server.store.names == {}

    down = LocalAppliance(Settings(local_dns_url="http://127.0.0.1:9"))
    from kosmos.appliances.base import NameAnswer
    out = down.set_answers(ZONE, [NameAnswer("x.example.com.", ["192.0.2.1"], 30),
                                  NameAnswer("y.example.com.", ["192.0.2.1"], 30)])
    assert sorted(out) == ["x.example.com.", "y.example.com."]
    assert "unreachable" in out["x.example.com."].message


def serve_again(tmp_path):
    """A second responder on the same state file (a restart), stopped at once."""
    srv = serve("127.0.0.1", 0, 0, str(tmp_path / "dns.json"))
    srv.stop()
    return srv
