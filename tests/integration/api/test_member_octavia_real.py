"""A member may only name a load balancer of its own project: the api asks a real
Octavia (under a real Keystone) with Kosmos's credential before storing anything."""
from __future__ import annotations

import pytest

from fixtures.openstack.keystone import REGION
from fixtures.openstack.octavia import TenantLoadBalancer, kosmos_regions
from kosmos.adapters.endpoint_lookup import member_resolver
from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth

pytestmark = pytest.mark.openstack


@pytest.fixture
def client(sqlite_conductor, function_app, keystone, octavia, tmp_path):
    regions = kosmos_regions(keystone, tmp_path)
    return function_app(ApiApp(sqlite_conductor, NoAuth(), resolve_endpoints=member_resolver(regions))
                        ).test_client()


def _member(client, project: str, lb_id: str):
    headers = {"X-Project-Id": project, "X-Roles": "member"}
    pool = client.post("/v1/pools", json={"name": "p"}, headers=headers).get_json()["id"]
    r = client.post(f"/v1/pools/{pool}/pool_members", headers=headers,
                    json={"type": "neutron_lbaas_v2", "region": REGION, "neutron_id": lb_id})
    listed = client.get(f"/v1/pools/{pool}/pool_members", headers=headers).get_json()["pool_members"]
    return r, listed


def test_only_the_owning_project_may_name_a_load_balancer(client, keystone, octavia):
    lb = TenantLoadBalancer(octavia, keystone)
    other = keystone.project().id
    r, listed = _member(client, other, lb.id)
    assert r.status_code == 404, r.get_json()
    assert r.get_json()["error"]["field"] == "neutron_id" and listed == []
    r, listed = _member(client, lb.user.project_id, lb.id)
    # The owner's member is stored; its addresses need Neutron (the VIP port's floating
    # IPs), which cannot run here: the lookup says why and the member is STALE, not lost.
    assert r.status_code == 201, r.get_json()
    assert len(listed) == 1
