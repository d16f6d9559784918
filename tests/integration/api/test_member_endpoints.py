"""Neutron members get their addresses when they are created (issue: endpoint discovery), and
may only name their own project's port or load balancer."""
from __future__ import annotations

import pytest

from kosmos.adapters.endpoint_lookup import member_resolver
from kosmos.adapters.openstack import OpenStackRegions
from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth
from kosmos.errors import NotFound, Unavailable

PORT = "6f1e8a1e-1111-4111-8111-111111111111"
OTHER_PORT = "7f1e8a1e-2222-4222-8222-222222222222"
GONE = "8f1e8a1e-3333-4333-8333-333333333333"
THEIRS = "9f1e8a1e-4444-4444-8444-444444444444"


class FakeRegions(OpenStackRegions):
    """Neutron of two regions; RegionDown cannot be reached. Project p1 owns the ports but
    THEIRS, which p2 owns."""

    def __init__(self):
        super().__init__(connect=lambda region: None)
        self.ports = {PORT: ["10.0.0.5", "203.0.113.5"], OTHER_PORT: ["10.0.0.6"], THEIRS: ["10.9.9.9"]}
        self.calls = []

    def port_addresses(self, region, port_id, project_id):
        self.calls.append((region, port_id, project_id))
        if region == "RegionDown":
            raise Unavailable("connection refused")
        owner = "p2" if port_id == THEIRS else "p1"
        if port_id not in self.ports or owner != project_id:
            raise NotFound(f"port {port_id} in {region} not found in project {project_id}")
        return list(self.ports[port_id])


@pytest.fixture
def regions():
    return FakeRegions()


@pytest.fixture
def client(sqlite_conductor, function_app, regions):
    return function_app(ApiApp(sqlite_conductor, NoAuth(), resolve_endpoints=member_resolver(regions))
                        ).test_client()


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


def test_a_port_that_does_not_exist_is_a_404_and_nothing_is_stored(client, h):
    pool = _pool(client, h)
    r = client.post(f"/v1/pools/{pool}/pool_members", headers=h(),
                    json={"type": "neutron_port", "region": "RegionOne", "neutron_id": GONE})
    assert r.status_code == 404, r.get_json()
    assert r.get_json()["error"]["field"] == "neutron_id" and GONE in r.get_json()["error"]["message"]
    assert client.get(f"/v1/pools/{pool}/pool_members", headers=h()).get_json()["pool_members"] == []


def test_another_projects_port_is_a_404_on_create_and_on_update(client, h, regions):
    pool = _pool(client, h)
    r = client.post(f"/v1/pools/{pool}/pool_members", headers=h(),
                    json={"type": "neutron_port", "region": "RegionOne", "neutron_id": THEIRS})
    assert r.status_code == 404, r.get_json()
    assert ("RegionOne", THEIRS, "p1") in regions.calls      # asked as the caller's project
    member = client.post(f"/v1/pools/{pool}/pool_members", headers=h(),
                         json={"type": "neutron_port", "region": "RegionOne", "neutron_id": PORT}).get_json()
    r = client.put(f"/v1/pools/{pool}/pool_members/{member['id']}", headers=h(), json={"neutron_id": THEIRS})
    assert r.status_code == 404, r.get_json()
    kept = client.get(f"/v1/pools/{pool}/pool_members/{member['id']}", headers=h()).get_json()
    assert kept["neutron_id"] == PORT and kept["endpoints"] == ["10.0.0.5", "203.0.113.5"]
    # Project p2 may use its own port.
    other = client.post("/v1/pools", json={"name": "p"}, headers=h("p2")).get_json()["id"]
    r = client.post(f"/v1/pools/{other}/pool_members", headers=h("p2"),
                    json={"type": "neutron_port", "region": "RegionOne", "neutron_id": THEIRS})
    assert r.status_code == 201 and r.get_json()["endpoints"] == ["10.9.9.9"]


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
