"""The powerdns driver against a real pdns_server, answers resolved with dnspython."""
from __future__ import annotations

import dns.message
import dns.query
import dns.rcode
import pytest

from kosmos.appliances.base import Served
from kosmos.appliances.registry import load
from kosmos.config import Settings
from kosmos.errors import ApplianceError

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
