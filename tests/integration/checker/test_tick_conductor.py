"""Tick → batches → results against the real conductor (SQLite), and endpoints.set."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kosmos.adapters.openstack import OpenStackRegions
from kosmos.adapters.emitter import InMemoryEmitter
from kosmos.checker.discovery import EndpointDiscovery
from kosmos.checker.service import CheckerService
from kosmos.probes.registry import load_checks
from kosmos.config import Settings
from kosmos.contracts.conductor import CallContext
from kosmos.contracts.events import CHECK_BATCH, CHECK_RESULTS, CheckResults
from kosmos.contracts.results import ChecksDue
from kosmos.errors import Unavailable

USER = CallContext(project_id="proj-1", roles=["member"])


def due_specs(conductor, region: str) -> list[dict]:
    """checks.due's checks with their monitors, as a batch carries them."""
    answer = ChecksDue.model_validate(conductor.call("checks.due", {"region": region}))
    return [spec.model_dump(mode="json") for spec in answer.checks]
PORT_ID = "6b7a4f7e-6f0b-4d59-9f57-0c5a3c1e0001"


class FakeRegions(OpenStackRegions):
    """R1's Neutron serves one port on loopback; every other region is unreachable."""

    def __init__(self):
        super().__init__(connect=lambda region: None)

    def port_addresses(self, region: str, port_id: str, project_id: str | None) -> list[str]:
        if region != "R1":
            raise Unavailable(f"region {region}: ConnectFailure")
        return ["127.0.0.1", "203.0.113.5"]


def seed(conductor, port: int) -> dict[str, str]:
    mon = conductor.call("monitor.create", {"values": {"type": "HTTP", "delay": 1, "timeout": 0.5,
                                                       "receive_string": "SUCCESS"}}, USER)
    here = conductor.call("pool.create", {"values": {"monitor_ids": [mon["id"]], "regions": ["R1"]}}, USER)
    elsewhere = conductor.call("pool.create", {"values": {"monitor_ids": [mon["id"]], "regions": ["R2"]}}, USER)
    ip = conductor.call("member.create", {"values": {"pool_id": here["id"], "address": "127.0.0.1",
                                                     "port": port}}, USER)
    nport = conductor.call("member.create", {"values": {"pool_id": here["id"], "type": "neutron_port",
                                                        "region": "R1", "neutron_id": PORT_ID,
                                                        "port": port}}, USER)
    far = conductor.call("member.create", {"values": {"pool_id": elsewhere["id"], "address": "192.0.2.1",
                                                      "port": port}}, USER)
    return {"ip": ip["id"], "neutron": nport["id"], "far": far["id"], "monitor": mon["id"]}


def test_tick_batches_and_results_from_the_conductor(sqlite_conductor, http_server):
    ids = seed(sqlite_conductor, http_server.port)
    bus = InMemoryEmitter()
    settings = Settings(region="R1", allow_loopback=True, results_interval=0.5)
    regions = FakeRegions()
    service = CheckerService(settings, sqlite_conductor, bus, load_checks(settings, openstack=regions),
                             discover=EndpointDiscovery(regions), checker_id="c1")
    start = datetime.now(timezone.utc)
    out = service.on_tick({"region": "R1", "scheduled_at": start.isoformat(), "period": 1.8})
    assert out.checks == 2  # the R2-only pool is not probed from R1
    [batch] = bus.of_type(CHECK_BATCH)
    assert {c["member_id"] for c in batch.data["checks"]} == {ids["ip"], ids["neutron"]}

    service.on_batch(batch.data)
    events = [CheckResults.model_validate(e.data) for e in bus.of_type(CHECK_RESULTS)]
    results = [r for e in events for r in e.results]
    assert {r.member_id for r in results} == {ids["ip"], ids["neutron"]}
    assert all((r.ok, r.reason, r.monitor_id) == (True, "HTTP 200", ids["monitor"]) for r in results)
    assert all(r.address == "127.0.0.1" for r in results)
    # The neutron member started with no endpoints; the window discovered and stored them.
    member = sqlite_conductor.call("member.get", {"id": ids["neutron"]}, USER)
    assert member["endpoints"] == ["127.0.0.1", "203.0.113.5"] and member["endpoints_status"] == "OK"
    [update] = [u for e in events for u in e.endpoints]
    assert (update.member_id, update.status) == (ids["neutron"], "OK")


def test_region_outage_keeps_last_known_endpoints(sqlite_conductor, http_server):
    ids = seed(sqlite_conductor, http_server.port)
    settings = Settings(region="R1", allow_loopback=True, results_interval=0.5)
    regions = FakeRegions()
    first = CheckerService(settings, sqlite_conductor, InMemoryEmitter(),
                           load_checks(settings), discover=EndpointDiscovery(regions))
    start = datetime.now(timezone.utc)
    batch = {"region": "R1", "batch_id": "R1/a/0", "window_start": start.isoformat(),
             "deadline": (start + timedelta(seconds=1.2)).isoformat(),
             "checks": due_specs(sqlite_conductor, "R1")}
    first.on_batch(batch)

    class Outage(FakeRegions):
        def port_addresses(self, region, port_id, project_id):
            raise Unavailable("region R1: ConnectTimeout")

    later = CheckerService(settings, sqlite_conductor, InMemoryEmitter(),
                           load_checks(settings), discover=EndpointDiscovery(Outage()))
    start = datetime.now(timezone.utc)
    batch = {**batch, "batch_id": "R1/b/0", "window_start": start.isoformat(),
             "deadline": (start + timedelta(seconds=1.2)).isoformat(),
             "checks": due_specs(sqlite_conductor, "R1")}
    later.on_batch(batch)
    member = sqlite_conductor.call("member.get", {"id": ids["neutron"]}, USER)
    assert member["endpoints"] == ["127.0.0.1", "203.0.113.5"]
    assert member["endpoints_status"] == "STALE"
    assert "region R1 unreachable" in member["endpoints_reason"]
