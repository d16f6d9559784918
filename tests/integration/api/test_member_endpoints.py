"""Neutron members get their addresses when they are created (issue: endpoint discovery)."""
from __future__ import annotations

import pytest

from kosmos.adapters.endpoint_lookup import lookup_endpoints
from kosmos.adapters.openstack import OpenStackRegions
from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth
from kosmos.errors import NotFound, Unavailable

PORT = "6f1e8a1e-1111-4111-8111-111111111111"
OTHER_PORT = "7f1e8a1e-2222-4222-8222-222222222222"
GONE = "8f1e8a1e-3333-4333-8333-333333333333"


class FakeRegions(OpenStackRegions):
    """Neutron of two regions; RegionDown cannot be reached."""

    def __init__(self):
        super().__init__(connect=lambda region: None)
        self.ports = {PORT: ["10.0.0.5", "203.0.113.5"], OTHER_PORT: ["10.0.0.6"]}

    def port_addresses(self, region, port_id):
        if region == "RegionDown":
            raise Unavailable("connection refused")
        if port_id not in self.ports:
            raise NotFound(f"port {port_id} not found")
        return list(self.ports[port_id])


@pytest.fixture
def client(sqlite_conductor, function_app):
    regions = FakeRegions()

    def resolve(member):
        return lookup_endpoints(regions, member_id=member["id"], member_type=member["type"],
                                region=member.get("region"), neutron_id=member.get("neutron_id"),
                                last_known=member.get("endpoints") or [])

    return function_app(ApiApp(sqlite_conductor, NoAuth(), resolve_endpoints=resolve)).test_client()


def _pool(client, h):
    return client.post("/v1/pools", json={"name": "p"}, headers=h()).get_json()["id"]


def test_a_neutron_port_member_is_served_its_port_addresses_from_creation(client, h):
    pool = _pool(client, h)
    r = client.post(f"/v1/pools/{pool}/pool_members", headers=h(),
                    json={"type": "neutron_port", "region": "RegionOne", "neutron_id": PORT})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["endpoints"] == ["10.0.0.5", "203.0.113.5"]
    assert body["endpoints_status"] == "OK"
    again = client.get(f"/v1/pools/{pool}/pool_members/{body['id']}", headers=h()).get_json()
    assert again["endpoints"] == ["10.0.0.5", "203.0.113.5"]


def test_a_port_that_does_not_exist_shows_at_once(client, h):
    pool = _pool(client, h)
    body = client.post(f"/v1/pools/{pool}/pool_members", headers=h(),
                       json={"type": "neutron_port", "region": "RegionOne",
                             "neutron_id": GONE}).get_json()
    assert body["endpoints"] == [] and body["endpoints_status"] == "ERROR"
    assert GONE in body["endpoints_reason"]


def test_an_unreachable_region_does_not_fail_the_create(client, h):
    pool = _pool(client, h)
    r = client.post(f"/v1/pools/{pool}/pool_members", headers=h(),
                    json={"type": "neutron_port", "region": "RegionDown", "neutron_id": PORT})
    assert r.status_code == 201
    body = r.get_json()
    assert body["endpoints_status"] == "STALE"
    assert "RegionDown unreachable" in body["endpoints_reason"]


def test_changing_the_port_resolves_again(client, h):
    pool = _pool(client, h)
    member = client.post(f"/v1/pools/{pool}/pool_members", headers=h(),
                         json={"type": "neutron_port", "region": "RegionOne",
                               "neutron_id": PORT}).get_json()
    r = client.put(f"/v1/pools/{pool}/pool_members/{member['id']}", headers=h(),
                   json={"neutron_id": OTHER_PORT})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["endpoints"] == ["10.0.0.6"]


def test_ip_members_are_not_looked_up(client, h):
    pool = _pool(client, h)
    body = client.post(f"/v1/pools/{pool}/pool_members", headers=h(),
                       json={"address": "192.0.2.7"}).get_json()
    assert body["endpoints"] == ["192.0.2.7"] and body["endpoints_status"] == "OK"
