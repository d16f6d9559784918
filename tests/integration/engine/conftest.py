"""The engine on the real conductor (SQLite and PostgreSQL) with the real local DNS responder."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import dns.message
import dns.query
import dns.rcode
import pytest

from kosmos import bootstrap
from kosmos.adapters.conductor_client import ConductorClient
from kosmos.appliances.impl_local import LocalAppliance
from kosmos_local.dns import serve
from kosmos.appliances.registry import Appliances
from kosmos.config import Settings
from kosmos.contracts.conductor import CallContext
from kosmos.contracts.events import CheckResult, CheckResults
from kosmos.errors import Unavailable

USER = CallContext(project_id="proj-1", roles=["member"])
REGIONS = ["r1", "r2", "r3"]
ZONE = "example.com."


class SwitchableTransport:
    """A transport that can be cut, like a network partition in front of the conductor."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.down = False

    def send(self, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.down:
            raise Unavailable("conductor unreachable: ConnectionError", retry_after=1.0)
        return self.inner.send(envelope)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rig:
    client: ConductorClient          # the API user's view (project scoped)
    transport: SwitchableTransport   # the engine's path to the conductor
    engine: Any
    dns: Any
    clock: Clock
    state_path: str

    def call(self, op: str, args: dict[str, Any]) -> Any:
        return self.client.call(op, args, USER)

    def results(self, region: str, items: list[tuple[str, str, bool]], at: datetime) -> dict:
        data = CheckResults(region=region, checker_id=f"chk-{region}", batch_id=f"{region}/{at.isoformat()}",
                            results=[CheckResult(member_id=m, monitor_id=mon, ok=ok,
                                                 reason="ok" if ok else "connection refused", checked_at=at)
                                     for m, mon, ok in items])
        return self.engine.handle("kosmos.check.results", data.model_dump(mode="json"))

    def round(self, items: list[tuple[str, str, bool]], regions=REGIONS) -> None:
        """One check slot 10 s after the last: the same results from each of ``regions``."""
        at = self.clock.now + timedelta(seconds=10)
        self.clock.now = at + timedelta(seconds=1)
        for r in regions:
            self.results(r, items, at)

    def resolve(self, fqdn: str) -> tuple[int, list[str]]:
        resp = dns.query.udp(dns.message.make_query(fqdn, "A"), "127.0.0.1", port=self.dns.dns_port, timeout=3)
        return resp.rcode(), sorted(r.to_text() for rrset in resp.answer for r in rrset)


@pytest.fixture
def rig(conductor, tmp_path):
    """``conductor`` (tests/conftest.py) is a ConductorClient on a fresh database."""
    server = serve("127.0.0.1", 0, 0, str(tmp_path / "dns.json"), zones=[ZONE])
    transport = SwitchableTransport(conductor.transport)
    settings = Settings(appliance="local", local_dns_url=server.control_url, regions=REGIONS)
    clock = Clock()
    engine = bootstrap.engine_service(settings, conductor=ConductorClient(transport),
                                      appliances=Appliances(settings, {"local": LocalAppliance(settings)}),
                                      clock=clock)
    r = Rig(conductor, transport, engine, server, clock, str(tmp_path / "dns.json"))
    yield r
    r.dns.stop()


def make_gslb(rig: Rig, fqdn: str = "www.example.com.", **gslb: Any) -> dict[str, Any]:
    """One monitor (rise 2, fall 2), pools A (a1, a2) and B (b1), one GSLB over them."""
    mon = rig.call("monitor.create", {"values": {"type": "TCP", "delay": 10, "max_retries": 2,
                                                 "max_retries_down": 2}})
    ids: dict[str, Any] = {"monitor": mon["id"]}
    for name, addrs in (("A", ["192.0.2.1", "192.0.2.2"]), ("B", ["198.51.100.1"])):
        pool = rig.call("pool.create", {"values": {"name": name, "monitor_ids": [mon["id"]]}})
        ids[name] = pool["id"]
        for i, addr in enumerate(addrs, 1):
            m = rig.call("member.create", {"values": {"pool_id": pool["id"], "address": addr, "port": 80}})
            ids[f"{name.lower()}{i}"] = m["id"]
    g = rig.call("gslb.create", {"values": {"fqdn": fqdn, "zone_name": ZONE, "pools": [
        {"pool_id": ids["A"], "priority": 1}, {"pool_id": ids["B"], "priority": 2}], **gslb}})
    ids["gslb"] = g["id"]
    return ids
