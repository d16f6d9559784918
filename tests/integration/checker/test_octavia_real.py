"""The Octavia check and lookups against a real Octavia API (noop provider) and a
real Keystone, under Octavia's default policies.

Kosmos reads with its own credential (Terraform's default roles, which include
Octavia's load-balancer_global_observer role, with the one policy line the
deployment guide asks for) and checks on every read that the load balancer
belongs to the member's project (the api refuses another project's at create:
tests/integration/api/test_member_octavia_real.py).
"""
from __future__ import annotations

import asyncio

import pytest

from fixtures.openstack.keystone import REGION
from fixtures.openstack.octavia import TenantLoadBalancer, kosmos_regions
from kosmos.adapters.openstack import OpenStackRegions
from kosmos.probes.octavia import verdict
from kosmos.errors import NotFound

pytestmark = pytest.mark.openstack


@pytest.fixture(scope="module")
def service_regions(keystone, octavia, tmp_path_factory):
    return kosmos_regions(keystone, tmp_path_factory.mktemp("clouds"), (REGION, "RegionV2"))


@pytest.fixture
def lb(octavia, keystone):
    return TenantLoadBalancer(octavia, keystone)


def _check(regions, lb, port):
    return verdict(regions.load_balancer_status(REGION, lb.id, lb.user.project_id), port)


def test_the_service_reads_a_tenants_load_balancer_under_default_policy(service_regions, lb):
    ok, reason = _check(service_regions, lb, 80)
    assert ok, reason


def test_another_projects_load_balancer_is_not_found(service_regions, lb):
    with pytest.raises(NotFound):
        service_regions.load_balancer_status(REGION, lb.id, "some-other-project")
    with pytest.raises(NotFound):
        service_regions.load_balancer_addresses(REGION, lb.id, "some-other-project")


def test_an_error_elsewhere_on_the_load_balancer_does_not_fail_this_listener(service_regions, lb):
    lb.set("pool", lb.pools[443], "ERROR")
    lb.set("member", lb.members[443][0], "ERROR")
    lb.set("load_balancer", lb.id, "ERROR")
    ok, reason = _check(service_regions, lb, 80)
    assert ok, reason
    ok, reason = _check(service_regions, lb, 443)
    assert not ok and "0 of 1" in reason


def test_every_member_down_behind_an_online_load_balancer_fails(service_regions, lb):
    for m in lb.members[80]:
        lb.set("member", m, "ERROR")
    lb.set("pool", lb.pools[80], "ERROR")
    ok, reason = _check(service_regions, lb, 80)
    assert not ok and "0 of 2" in reason


def test_no_listener_on_the_members_port_fails(service_regions, lb):
    ok, reason = _check(service_regions, lb, 8443)
    assert not ok and "no listener on port 8443" in reason


def test_a_catalog_endpoint_ending_in_v2_works(service_regions, lb, keystone, octavia):
    ident = keystone.admin.identity
    region = "RegionV2"
    if not ident.find_region(region):
        ident.create_region(id=region)
        service = next(iter(ident.services(type="load-balancer")))
        for interface in ("public", "internal"):
            ident.create_endpoint(service_id=service.id, interface=interface,
                                  url=octavia.url + "/v2", region_id=region)
    ok, reason = verdict(service_regions.load_balancer_status(region, lb.id, lb.user.project_id), 80)
    assert ok, reason


def test_a_slow_connection_gives_no_verdict_and_is_ready_next_time(service_regions, lb):
    import time

    from kosmos.probes.base import CheckInconclusive
    from kosmos.probes.octavia import OctaviaCheck

    slow = OpenStackRegions(lambda region: (time.sleep(1.0), service_regions._connect(region))[1])
    check = OctaviaCheck(None, openstack=slow)

    class Spec:
        member_region, neutron_id, project_id, port = REGION, lb.id, lb.user.project_id, 80

        class monitor:
            timeout = 5.0

    class Target:
        spec = Spec

    async def probe():
        return await check.probe(Target)

    started = time.monotonic()
    with pytest.raises(CheckInconclusive, match="connecting"):
        asyncio.run(probe())
    assert time.monotonic() - started < 0.5     # the connection is not built inside the probe
    deadline = time.monotonic() + 60
    while not slow.connected(REGION) and time.monotonic() < deadline:
        time.sleep(0.1)
    outcome = asyncio.run(probe())
    assert outcome.ok, outcome.reason
