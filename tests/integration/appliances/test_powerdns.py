"""The powerdns driver against a real pdns_server, answers resolved with dnspython."""
from __future__ import annotations

import json

import dns.message
import dns.query
import dns.rcode
import pytest

from kosmos.appliances.base import NameAnswer, Served
from kosmos.appliances.registry import load
from kosmos.config import Settings
from kosmos.errors import ApplianceError, ApplianceRefused

from .conftest import API_KEY

ZONE = "example.com."


@pytest.fixture
def driver(powerdns):
    powerdns.create_zone(ZONE)
    return load("powerdns", Settings(powerdns_api_url=powerdns.api_url, powerdns_api_key=API_KEY))


def resolve(powerdns, name: str, rtype: str = "A") -> tuple[int, list[str], int | None]:
    resp = dns.query.udp(dns.message.make_query(name, rtype), "127.0.0.1",
                         port=powerdns.dns_port, timeout=3)
    values = sorted(r.to_text() for rrset in resp.answer for r in rrset)
    return resp.rcode(), values, resp.answer[0].ttl if resp.answer else None


def test_set_answer_is_served(powerdns, driver):
    fqdn = "www.example.com."
    driver.set_answer(fqdn, ZONE, ["192.0.2.2", "192.0.2.1", "2001:db8::5"], 60)
    assert resolve(powerdns, fqdn) == (dns.rcode.NOERROR, ["192.0.2.1", "192.0.2.2"], 60)
    assert resolve(powerdns, fqdn, "AAAA")[1] == ["2001:db8::5"]
    assert driver.get_answer(fqdn, ZONE) == Served(["192.0.2.1", "192.0.2.2", "2001:db8::5"], 60)
    # Idempotent, then a change that drops the IPv6 family entirely.
    driver.set_answer(fqdn, ZONE, ["192.0.2.1", "192.0.2.2", "2001:db8::5"], 60)
    driver.set_answer(fqdn, ZONE, ["192.0.2.3"], 30)
    assert resolve(powerdns, fqdn) == (dns.rcode.NOERROR, ["192.0.2.3"], 30)
    assert resolve(powerdns, fqdn, "AAAA")[1] == []
    assert driver.get_answer(fqdn, ZONE) == Served(["192.0.2.3"], 30)


def test_remove_is_idempotent(powerdns, driver):
    fqdn = "gone.example.com."
    driver.set_answer(fqdn, ZONE, ["192.0.2.9"], 30)
    assert resolve(powerdns, fqdn)[1] == ["192.0.2.9"]
    driver.remove(fqdn, ZONE)
    driver.remove(fqdn, ZONE)
    assert resolve(powerdns, fqdn)[0] == dns.rcode.NXDOMAIN
    assert driver.get_answer(fqdn, ZONE) == Served()
    driver.remove("x.missing.test.", "missing.test.")      # no zone: nothing to remove


def test_errors_are_appliance_errors(powerdns, driver):
    with pytest.raises(ApplianceError) as err:
        driver.set_answer("www.missing.test.", "missing.test.", ["192.0.2.1"], 30)
    assert "missing.test." in str(err.value)
    bad_key = load("powerdns", Settings(powerdns_api_url=powerdns.api_url, powerdns_api_key="wrong"))
    with pytest.raises(ApplianceError):
        bad_key.get_answer("www.example.com.", ZONE)
    down = load("powerdns", Settings(powerdns_api_url="http://127.0.0.1:9", powerdns_api_key=API_KEY))
    with pytest.raises(ApplianceError):
        down.set_answer("www.example.com.", ZONE, ["192.0.2.1"], 30)


def _patches(driver) -> list[bytes]:
    """The bodies of the PATCHes ``driver`` sends from now on (sent as they were)."""
    sent: list[bytes] = []
    real = driver._patch_body
    driver._patch_body = lambda zone, body: (sent.append(body), real(zone, body))[1]
    return sent


def test_many_answers_of_a_zone_go_in_one_request(powerdns, driver):
    answers = [(f"n{i}.example.com.", [f"192.0.2.{i % 250 + 1}"], 30) for i in range(120)]
    driver.batch_names = 50
    sent = _patches(driver)
    assert driver.set_answers(ZONE, answers) == {}
    # A, AAAA and LUA per name, 50 names a PATCH
    assert [len(json.loads(b)["rrsets"]) for b in sent] == [150, 150, 60]
    served = driver.zone_answers(ZONE)
    assert all(served[f] == Served(a, 30) for f, a, _ in answers)
    assert resolve(powerdns, "n7.example.com.")[1] == ["192.0.2.8"]


def test_a_patch_stays_under_the_servers_body_limit(powerdns, driver):
    """Answers are cut into PATCHes of at most ``max_body`` bytes whatever their count
    (a body over PowerDNS's limit is refused with a 400, which failed the whole push);
    one answer larger than the limit goes alone, and PowerDNS still takes it."""
    many = [f"192.0.2.{k}" for k in range(1, 41)]   # about 1,000 bytes of A records
    answers = [(f"big{i}.example.com.", many, 30) for i in range(12)]
    driver.max_body = 4000
    sent = _patches(driver)
    assert driver.set_answers(ZONE, answers) == {}
    assert len(sent) > 3 and all(len(b) <= 4000 for b in sent)
    assert sum(len(json.loads(b)["rrsets"]) for b in sent) == 3 * 12
    served = driver.zone_answers(ZONE)
    assert all(sorted(served[f].addresses) == sorted(a) for f, a, _ in answers)
    driver.max_body = 500
    sent.clear()
    assert driver.set_answers(ZONE, answers[:2]) == {}
    assert len(sent) == 2 and all(len(b) > 500 for b in sent)




def test_a_refused_answer_in_a_batch_fails_alone(powerdns, driver):
    answers = [("a.example.com.", ["192.0.2.1"], 30), ("b.elsewhere.test.", ["192.0.2.2"], 30),
               ("c.example.com.", ["192.0.2.3"], 30)]
    failed = driver.set_answers(ZONE, answers)
    assert list(failed) == ["b.elsewhere.test."] and isinstance(failed["b.elsewhere.test."], ApplianceRefused)
    assert resolve(powerdns, "a.example.com.")[1] == ["192.0.2.1"]
    assert resolve(powerdns, "c.example.com.")[1] == ["192.0.2.3"]
    down = load("powerdns", Settings(powerdns_api_url="http://127.0.0.1:9", powerdns_api_key=API_KEY))
    assert set(down.set_answers(ZONE, answers)) == {"a.example.com.", "b.elsewhere.test.", "c.example.com."}
    assert set(driver.set_answers("missing.test.", answers[:1])) == {"a.example.com."}


def test_a_refused_batch_is_halved_down_to_its_refused_answer(powerdns, driver):
    """One answer PowerDNS refuses among 64: the batch is sent again in halves, so the
    63 others land in a dozen PATCHes (name by name, it took 64 more)."""
    answers = [(f"h{i}.example.com.", [f"192.0.2.{i + 1}"], 30) for i in range(64)]
    answers[37] = ("h37.elsewhere.test.", ["192.0.2.38"], 30)
    sent = _patches(driver)
    failed = driver.set_answers(ZONE, answers)
    assert list(failed) == ["h37.elsewhere.test."]
    assert isinstance(failed["h37.elsewhere.test."], ApplianceRefused)
    assert len(sent) == 1 + 2 * 6   # the batch, then both halves at each of six levels
    served = driver.zone_answers(ZONE)
    assert all(served[f] == Served(a, 30) for f, a, _ in answers if f != "h37.elsewhere.test.")


def _server_errors(powerdns) -> int:
    """How many requests the server has answered with a 500 so far (its log says)."""
    return (powerdns.dir / "pdns.log").read_text(errors="replace").count("HTTP ISE")


def _push_from_threads(drivers: list) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def push(i: int) -> None:
        for k in range(15):
            drivers[i % len(drivers)].set_answer(f"n{i}-{k}.example.com.", ZONE,
                                                 [f"192.0.2.{i + 1}"], 30)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(push, range(8)))   # any error is raised here
    served = drivers[0].zone_answers(ZONE)
    assert all(served[f"n{i}-{k}.example.com."].addresses == [f"192.0.2.{i + 1}"]
               for i in range(8) for k in range(15))


def test_concurrent_pushes_all_land_though_the_backend_is_briefly_busy(powerdns, driver):
    """Engine instances push to one zone at once. PowerDNS's SQLite backend then answers
    some PATCHes with a 500 ("database is locked"); the driver sends those again."""
    _push_from_threads([driver, load("powerdns", driver.settings)])


def test_one_instance_changes_a_zone_one_patch_at_a_time(powerdns, driver):
    """The threads of one engine instance do not make the server's backend busy for
    each other: none of their PATCHes meets another and is answered with a 500."""
    before = _server_errors(powerdns)
    _push_from_threads([driver])
    assert _server_errors(powerdns) == before


def test_the_benchmarks_zone_transfer_reads_what_queries_are_answered(powerdns, driver):
    # bench_scale reads what PowerDNS serves with one zone transfer per poll
    # (``kosmos_local.harness.zone_addresses``): it must agree with a query per name, over
    # enough names for the transfer to take several messages of compressed names.
    from kosmos_local.harness import dns_answers, zone_addresses

    answers = [NameAnswer(f"n{i}.scale.{ZONE}", [f"198.51.100.{i % 250 + 1}", "192.0.2.7"], 30)
               for i in range(1500)]
    answers.append(NameAnswer(f"v6.{ZONE}", ["2001:db8::9"], 30))
    assert driver.set_answers(ZONE, answers) == {}
    got = zone_addresses(ZONE, powerdns.dns_port)
    names = [a.fqdn for a in answers[:-1]]
    assert {n: got.get(n) for n in names} == dns_answers(names, powerdns.dns_port)
    assert got[names[7]] == {"198.51.100.8", "192.0.2.7"}
    assert f"v6.{ZONE}" not in got   # no A record
