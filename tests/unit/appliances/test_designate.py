"""The designate driver through real openstacksdk, with Keystone and Designate faked by `responses`."""
from __future__ import annotations

import json

import pytest
import responses
from openstack import connection

from kosmos.appliances.base import Served
from kosmos.appliances.impl_designate import DesignateAppliance
from kosmos.config import Settings
from kosmos.errors import ApplianceError

KS, DNS = "http://keystone.test/v3", "http://dns.test"
ZONE, FQDN = "example.com.", "www.example.com."
ZONES = f"{DNS}/v2/zones"
RS = f"{DNS}/v2/zones/z1/recordsets"
TOKEN = {"token": {
    "expires_at": "2099-01-01T00:00:00Z", "issued_at": "2026-01-01T00:00:00Z", "methods": ["password"],
    "user": {"id": "u", "name": "u", "domain": {"id": "default", "name": "Default"}},
    "project": {"id": "p", "name": "p", "domain": {"id": "default", "name": "Default"}},
    "catalog": [{"type": "dns", "name": "designate", "id": "c", "endpoints": [
        {"id": "e", "interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": DNS}]}]}}


def recordset(rid: str, rtype: str, records: list[str], ttl: int = 30) -> dict:
    return {"id": rid, "zone_id": "z1", "name": FQDN, "type": rtype, "records": records, "ttl": ttl,
            "status": "ACTIVE", "action": "NONE"}


@pytest.fixture
def rs():
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, KS, json={"version": {"id": "v3.14", "status": "stable",
                                                      "links": [{"rel": "self", "href": KS + "/"}]}})
        mock.add(responses.POST, KS + "/auth/tokens", status=201, headers={"X-Subject-Token": "tok"}, json=TOKEN)
        mock.add(responses.GET, DNS + "/", json={"versions": {"values": [
            {"id": "v2", "status": "CURRENT", "links": [{"rel": "self", "href": DNS + "/v2/"}]}]}})
        yield mock


@pytest.fixture
def driver():
    def connect(settings):
        return connection.Connection(auth_url=KS, username="u", password="p", project_name="p",
                                     user_domain_id="default", project_domain_id="default",
                                     region_name="RegionOne")
    return DesignateAppliance(Settings(), connect=connect)


def dns_calls(rs) -> list[tuple[str, str, dict | None]]:
    out = []
    for c in rs.calls:
        if c.request.url.startswith(DNS + "/v2"):
            body = json.loads(c.request.body) if c.request.body else None
            out.append((c.request.method, c.request.url.replace(DNS, ""), body))
    return out


def zone_lookup(rs, zones=None):
    rs.add(responses.GET, ZONES, match=[responses.matchers.query_param_matcher({"name": ZONE})],
           json={"zones": zones if zones is not None else [{"id": "z1", "name": ZONE}], "links": {}})


def test_creates_both_families(rs, driver):
    zone_lookup(rs)
    rs.add(responses.GET, RS, json={"recordsets": [], "links": {}})
    rs.add(responses.POST, RS, status=202, json=recordset("r1", "A", ["192.0.2.1"]))
    rs.add(responses.POST, RS, status=202, json=recordset("r2", "AAAA", ["2001:db8::1"]))
    driver.set_answer(FQDN, ZONE, ["2001:db8::1", "192.0.2.1"], 45)
    assert dns_calls(rs) == [
        ("GET", "/v2/zones?name=example.com.", None),
        ("GET", "/v2/zones/z1/recordsets?name=www.example.com.", None),
        ("POST", "/v2/zones/z1/recordsets", {"name": FQDN, "type": "A", "records": ["192.0.2.1"], "ttl": 45}),
        ("POST", "/v2/zones/z1/recordsets",
         {"name": FQDN, "type": "AAAA", "records": ["2001:db8::1"], "ttl": 45}),
    ]


def test_updates_changed_and_deletes_empty_family(rs, driver):
    zone_lookup(rs)
    rs.add(responses.GET, RS, json={"recordsets": [recordset("r1", "A", ["192.0.2.1"]),
                                                   recordset("r2", "AAAA", ["2001:db8::1"])], "links": {}})
    rs.add(responses.PUT, RS + "/r1", status=202, json=recordset("r1", "A", ["192.0.2.1", "192.0.2.2"]))
    rs.add(responses.DELETE, RS + "/r2", status=202, json=recordset("r2", "AAAA", []))
    driver.set_answer(FQDN, ZONE, ["192.0.2.2", "192.0.2.1"], 30)
    calls = dns_calls(rs)
    assert calls[2] == ("PUT", "/v2/zones/z1/recordsets/r1", {"records": ["192.0.2.1", "192.0.2.2"]})
    assert calls[3][:2] == ("DELETE", "/v2/zones/z1/recordsets/r2")
    assert len(calls) == 4


def test_same_answer_writes_nothing_and_zone_is_cached(rs, driver):
    zone_lookup(rs)
    rs.add(responses.GET, RS, json={"recordsets": [recordset("r1", "A", ["192.0.2.1"], 30)], "links": {}})
    driver.set_answer(FQDN, ZONE, ["192.0.2.1"], 30)
    driver.set_answer(FQDN, ZONE, ["192.0.2.1"], 30)
    assert [c[0] for c in dns_calls(rs)] == ["GET", "GET", "GET"]      # one zone lookup, no writes


def test_read_back_and_remove(rs, driver):
    zone_lookup(rs)
    rs.add(responses.GET, RS, json={"recordsets": [
        recordset("r1", "A", ["192.0.2.2", "192.0.2.1"], 60), recordset("r2", "AAAA", ["2001:db8::1"], 60),
        {**recordset("r3", "TXT", ["x"]), "name": FQDN}]})
    rs.add(responses.DELETE, RS + "/r1", status=202, json=recordset("r1", "A", []))
    rs.add(responses.DELETE, RS + "/r2", status=202, json=recordset("r2", "AAAA", []))
    assert driver.get_answer(FQDN, ZONE) == Served(["192.0.2.1", "192.0.2.2", "2001:db8::1"], 60)
    driver.remove(FQDN, ZONE)
    assert [(m, u) for m, u, _ in dns_calls(rs)][-2:] == [
        ("DELETE", "/v2/zones/z1/recordsets/r1"), ("DELETE", "/v2/zones/z1/recordsets/r2")]


def test_missing_zone_and_server_errors(rs, driver):
    zone_lookup(rs, zones=[])
    with pytest.raises(ApplianceError) as err:
        driver.set_answer(FQDN, ZONE, ["192.0.2.1"], 30)
    assert err.value.field == "zone_name"
    assert driver.get_answer(FQDN, ZONE) == Served()       # no zone: nothing served
    driver.remove(FQDN, ZONE)                              # and nothing to remove
    rs.replace(responses.GET, ZONES, status=503, json={"code": 503, "message": "down"})
    with pytest.raises(ApplianceError):
        driver.set_answer(FQDN, ZONE, ["192.0.2.1"], 30)
