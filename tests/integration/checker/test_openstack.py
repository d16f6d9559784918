"""Neutron lookups and endpoint discovery against responses-mocked APIs: Neutron is the one
service here that cannot run on this machine (it needs its agents and a dataplane). Octavia
runs for real in tests/integration/checker/test_octavia_real.py."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone

import openstack
import pytest
import responses

from kosmos.adapters.openstack import OpenStackRegions
from kosmos.checker.discovery import EndpointDiscovery
from kosmos.checker.prober import Prober
from kosmos.probes.base import Target
from kosmos.probes.guard import Guard
from kosmos.probes.registry import load_checks
from kosmos.contracts.events import CheckSpec
from kosmos.errors import NotFound, Unavailable

KEYSTONE = "https://keystone.test/v3"
PORT, LB = "6b7a4f7e-6f0b-4d59-9f57-0c5a3c1e0001", "0b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b0002"
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def _catalog():
    services = (("neutron", "network", "neutron"), ("octavia", "load-balancer", "octavia"))
    return [{"type": kind, "name": name, "endpoints": [
        {"interface": "public", "region": r, "region_id": r, "url": f"https://{host}.{r.lower()}.test"}
        for r in ("R1", "R2")]} for name, kind, host in services]


def _connect(region: str):
    return openstack.connect(auth_type="v3password", auth_url=KEYSTONE, username="kosmos",
                             password="secret", project_name="service", user_domain_name="Default",
                             project_domain_name="Default", region_name=region)


@pytest.fixture
def cloud():
    """Keystone with a two-region catalog; Neutron and Octavia in R1; R2's APIs are down."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add(responses.POST, KEYSTONE + "/auth/tokens", status=201, headers={"X-Subject-Token": "t"},
               json={"token": {"methods": ["password"], "expires_at": "2099-01-01T00:00:00Z",
                               "project": {"id": "p", "name": "service", "domain": {"id": "default"}},
                               "user": {"id": "u", "name": "kosmos", "domain": {"id": "default"}},
                               "roles": [{"id": "r", "name": "admin"}], "catalog": _catalog()}})
        neutron, octavia = r"https://neutron\.r1\.test/v2\.0", r"https://octavia\.r1\.test/v2(\.0)?"
        rs.add(responses.GET, re.compile(f"{neutron}/ports/{PORT}$"),
               json={"port": {"id": PORT, "project_id": "p", "fixed_ips": [{"ip_address": "127.0.0.1", "subnet_id": "s"},
                                                        {"ip_address": "fd00::5", "subnet_id": "s6"}]}})
        rs.add(responses.GET, re.compile(f"{neutron}/ports/.*"), status=404,
               json={"NeutronError": {"type": "PortNotFound", "message": "Port could not be found."}})
        rs.add(responses.GET, re.compile(rf"{neutron}/floatingips\?port_id={PORT}$"),
               json={"floatingips": [{"id": "f1", "floating_ip_address": "203.0.113.5", "port_id": PORT}]})
        rs.add(responses.GET, re.compile(rf"{neutron}/floatingips\?port_id=vip-port$"),
               json={"floatingips": [{"id": "f2", "floating_ip_address": "203.0.113.9", "port_id": "vip-port"}]})
        rs.add(responses.GET, re.compile(f"{octavia}/lbaas/loadbalancers/{LB}$"),
               json={"loadbalancer": {"id": LB, "project_id": "p", "vip_address": "10.1.0.7", "vip_port_id": "vip-port",
                                      "operating_status": "ONLINE", "provisioning_status": "ACTIVE"}})
        rs.add(responses.GET, re.compile(rf"{octavia}/lbaas/listeners(\?.*)?$"),
               json={"listeners": [{"id": "l1", "protocol_port": 80, "loadbalancers": [{"id": LB}]}]})
        rs.add(responses.GET, re.compile(f"{octavia}/lbaas/loadbalancers/{LB}/status$"),
               json={"statuses": {"loadbalancer": {
                   "id": LB, "operating_status": "DEGRADED", "provisioning_status": "ACTIVE",
                   "listeners": [{"id": "l1", "pools": [{"id": "pl", "members": [
                       {"id": "a", "operating_status": "ONLINE"}, {"id": "b", "operating_status": "ERROR"}]}]}]}}})
        rs.add(responses.GET, re.compile(f"{octavia}/lbaas/loadbalancers/.*/status$"), status=404,
               json={"faultcode": "Client", "faultstring": "Load Balancer not found"})
        rs.add(responses.GET, re.compile(r"https://(neutron|octavia)\.r2\.test/.*"), status=503)
        yield rs


@pytest.fixture
def regions(cloud):
    return OpenStackRegions(_connect)


def spec(member_type: str, region: str, neutron_id: str, endpoints=(), address=None) -> CheckSpec:
    return CheckSpec(member_id=f"{member_type}-{region}-{neutron_id[:4]}", pool_id="pool", project_id="p",
                     member_type=member_type, address=address, endpoints=list(endpoints), port=80,
                     member_region=region, neutron_id=neutron_id,
                     monitor={"id": "mon", "type": "HTTP", "delay": 5, "timeout": 2,
                              "max_retries": 1, "max_retries_down": 1})


def test_port_addresses_fixed_then_floating(regions):
    assert regions.port_addresses("R1", PORT, "p") == ["127.0.0.1", "fd00::5", "203.0.113.5"]


def test_load_balancer_vip_then_its_floating_ip(regions):
    assert regions.load_balancer_addresses("R1", LB, "p") == ["10.1.0.7", "203.0.113.9"]


def test_errors_are_translated(regions):
    with pytest.raises(NotFound):
        regions.port_addresses("R1", "11111111-2222-3333-4444-555555555555", "p")
    with pytest.raises(Unavailable):
        regions.port_addresses("R2", PORT, "p")


def test_discovery_ok_error_and_stale(regions):
    ok = spec("neutron_port", "R1", PORT)
    gone = spec("neutron_port", "R1", "11111111-2222-3333-4444-555555555555", endpoints=["10.9.9.9"])
    cut_off = spec("neutron_lbaas_v2", "R2", LB, endpoints=["198.51.100.1"], address="198.51.100.1")
    plain = CheckSpec(member_id="ip", pool_id="pool", project_id="p", address="192.0.2.1", port=80,
                      monitor=ok.monitor)
    targets = [Target(s.address, 80, s) for s in (ok, gone, cut_off, plain)]
    updates = {u.member_id: u for u in asyncio.run(EndpointDiscovery(regions)(targets))}
    assert set(updates) == {ok.member_id, gone.member_id, cut_off.member_id}
    assert (updates[ok.member_id].status, updates[ok.member_id].endpoints) == (
        "OK", ["127.0.0.1", "fd00::5", "203.0.113.5"])
    assert targets[0].address == "127.0.0.1"
    assert updates[gone.member_id].status == "ERROR" and updates[gone.member_id].endpoints == []
    assert "not found" in updates[gone.member_id].reason and targets[1].address is None
    stale = updates[cut_off.member_id]
    assert (stale.status, stale.endpoints) == ("STALE", ["198.51.100.1"])
    assert stale.reason.startswith("region R2 unreachable: ") and targets[2].address == "198.51.100.1"


def run_octavia(regions, s: CheckSpec):
    runner = Prober(load_checks(None, openstack=regions), Guard())
    return asyncio.run(runner.run(Target(s.address, s.port, s), NOW))


def test_unreachable_region_gives_no_verdict_rather_than_a_wrong_one(regions):
    member = spec("neutron_lbaas_v2", "R2", LB)
    # The first probe only starts connecting to R2 (beside the probe, not inside its timeout).
    assert run_octavia(regions, member) is None
    # Connected, R2's load-balancer API answers 503: still no verdict, not a failure.
    regions.connection("R2")
    with pytest.raises(Unavailable, match="503"):
        regions.load_balancer_status("R2", LB, "p")
    with regions._lock:
        regions._ready.add("R2")
    assert run_octavia(regions, member) is None
    # R1's answers, once it is ready, are verdicts.
    regions.prepare("R1")
    result = run_octavia(regions, spec("neutron_lbaas_v2", "R1", LB))
    assert result is not None and result.ok and "1 of 2 members online" in result.reason


def test_batch_refreshes_neutron_endpoints_and_probes_them(regions, http_server,
                                                           fake_conductor_transport):
    from datetime import timedelta

    from kosmos.adapters.conductor_client import ConductorClient
    from kosmos.adapters.emitter import InMemoryEmitter
    from kosmos.checker.service import CheckerService
    from kosmos.config import Settings
    from kosmos.contracts.events import CHECK_RESULTS, CheckBatch, CheckResults

    settings = Settings(region="R1", allow_loopback=True, results_interval=0.5)
    bus = InMemoryEmitter()
    service = CheckerService(settings, ConductorClient(fake_conductor_transport), bus,
                             load_checks(settings, openstack=regions),
                             discover=EndpointDiscovery(regions), checker_id="c1")
    member = spec("neutron_port", "R1", PORT, endpoints=["192.0.2.99"], address="192.0.2.99")
    member = member.model_copy(update={"port": http_server.port, "monitor": member.monitor.model_copy(
        update={"delay": 1, "timeout": 0.5})})
    start = datetime.now(timezone.utc)
    service.on_batch(CheckBatch(region="R1", batch_id="R1/w/0", window_start=start,
                                deadline=start + timedelta(seconds=1.6), checks=[member])
                     .model_dump(mode="json"))
    events = [CheckResults.model_validate(e.data) for e in bus.of_type(CHECK_RESULTS)]
    updates = [u for e in events for u in e.endpoints]
    assert [(u.member_id, u.status, u.endpoints) for u in updates] == [
        (member.member_id, "OK", ["127.0.0.1", "fd00::5", "203.0.113.5"])]
    assert [u["member_id"] for u in fake_conductor_transport.endpoint_updates] == [member.member_id]
    results = [r for e in events for r in e.results]
    # The address the batch carried is gone; this window probes the one just discovered.
    assert results and all((r.address, r.ok) == ("127.0.0.1", True) for r in results)


class SlowRegions(OpenStackRegions):
    """A load-balancer API that answers after the monitor's timeout."""

    def __init__(self):
        super().__init__(connect=lambda region: None)

    def connected(self, region):
        return True

    def load_balancer_status(self, region, lb_id, project_id):
        import time
        time.sleep(1.0)
        return {"loadbalancer": {"operating_status": "ONLINE"}}


def test_a_slow_load_balancer_api_gives_no_verdict_rather_than_a_timeout():
    import time
    s = spec("neutron_lbaas_v2", "R1", LB).model_copy()
    s = s.model_copy(update={"monitor": s.monitor.model_copy(update={"timeout": 0.3})})
    started = time.perf_counter()
    assert run_octavia(SlowRegions(), s) is None
    assert time.perf_counter() - started < 1.5
