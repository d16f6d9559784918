"""``dns_answers`` (many names from one socket) answers as ``dns_answer`` (dnspython) does."""
from __future__ import annotations

from kosmos_local.dns import serve
from kosmos_local.harness import IN_FLIGHT, dns_answer, dns_answers, free_port

from kosmos.appliances.impl_local import LocalAppliance
from kosmos.config import Settings

ZONE = "example.com."


def test_many_names_answered_as_one_by_one(tmp_path):
    with serve("127.0.0.1", 0, 0, str(tmp_path / "dns.json"), zones=[ZONE]) as server:
        driver = LocalAppliance(Settings(local_dns_url=server.control_url))
        names = [f"n{i}.{ZONE}" for i in range(IN_FLIGHT * 2 + 7)]   # more than in flight
        for i, name in enumerate(names[:40]):
            driver.set_answer(name, ZONE, [f"192.0.2.{i % 7 + 1}", f"198.51.100.{i + 1}"], 30)
        driver.set_answer(names[40], ZONE, ["2001:db8::1"], 30)   # no A record: NOERROR
        asked = [*names, "elsewhere.example.org."]                 # outside the zone
        got = dns_answers(asked, server.dns_port)
        assert got == {n: dns_answer(n, server.dns_port) for n in asked}
        assert got[names[0]] == {"192.0.2.1", "198.51.100.1"}
        assert got[names[40]] == set() and got[names[41]] == set()   # NXDOMAIN: empty too


def test_no_server_is_none_for_every_name():
    port = free_port(udp_too=True)
    assert dns_answers(["a.example.com.", "b.example.com."], port, timeout=0.3) == {
        "a.example.com.": None, "b.example.com.": None}
