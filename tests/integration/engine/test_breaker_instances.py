"""Two engine instances on one conductor: a circuit breaker's hold stands against a
verdict the other instance took before the hold was stored."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import dns.rcode

from kosmos import bootstrap
from kosmos.adapters.conductor_client import ConductorClient
from kosmos.appliances.impl_local import LocalAppliance
from kosmos.appliances.registry import Appliances
from kosmos.config import Settings

from .conftest import REGIONS, ZONE

SITES = {"east": "10.0.0.1", "west": "10.1.0.1", "north": "10.2.0.1"}
FQDN = "sites.example.com."


class HookTransport:
    """The conductor's transport with a hook run once after a given operation answers,
    as if another instance did its work at exactly that moment."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.hooks: dict[str, Callable[[], None]] = {}

    def send(self, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        answer = self.inner.send(envelope)
        hook = self.hooks.pop(envelope["op"], None)
        if hook is not None:
            hook()
        return answer


def _engine(rig, settings: Settings, transport: Any) -> Any:
    return bootstrap.engine_service(settings, conductor=ConductorClient(transport),
                                    appliances=Appliances(settings, {"local": LocalAppliance(settings)}),
                                    clock=rig.clock)


def test_a_hold_stored_meanwhile_is_not_published_over_by_an_older_verdict(rig):
    # breaker: 2 of the 3 endpoints down, on two sites, is the checkers' trouble
    settings = Settings(appliance="local", local_dns_url=rig.dns.control_url, regions=REGIONS,
                        circuit_breaker_min_endpoints=2, circuit_breaker_fraction=0.5)
    hooked = HookTransport(rig.client.transport)
    first, second = _engine(rig, settings, hooked), _engine(rig, settings, rig.client.transport)
    mon = rig.call("monitor.create", {"values": {"type": "TCP", "delay": 10, "max_retries": 2,
                                                 "max_retries_down": 2}})["id"]
    pool = rig.call("pool.create", {"values": {"name": "sites", "monitor_ids": [mon]}})["id"]
    member = {site: rig.call("member.create", {"values": {
        "pool_id": pool, "address": address, "port": 80, "region": site}})["id"]
        for site, address in SITES.items()}
    gslb = rig.call("gslb.create", {"values": {"fqdn": FQDN, "zone_name": ZONE, "all_down": "NONE",
                                               "pools": [{"pool_id": pool, "priority": 1}]}})["id"]

    def rounds(engine: Any, items: list[tuple[str, bool]], regions: list[str], n: int,
               before_last: Callable[[], None] | None = None) -> None:
        for i in range(n):
            at = rig.clock.now + timedelta(seconds=10)
            rig.clock.now = at + timedelta(seconds=1)
            for j, region in enumerate(regions):
                if before_last is not None and i == n - 1 and j == len(regions) - 1:
                    before_last()
                engine.handle("kosmos.check.results", _batch(region, at, mon, items))

    everyone = [(member[s], True) for s in SITES]
    rounds(first, everyone, REGIONS, 2)
    assert rig.resolve(FQDN) == (dns.rcode.NOERROR, sorted(SITES.values()))

    def other_instance_trips() -> None:
        # The first instance has published east's removal (1 of 3 down: not tripped) and
        # stored east OFFLINE. Now the second instance takes west down: 2 of 3 on two sites.
        rounds(second, [(member["west"], False)], ["r1", "r2"], 2)
        g = rig.call("gslb.get", {"id": gslb})
        assert g["publish_status"] == "HELD", g

    # east fails in two regions; the batch completing its quorum is interleaved: the
    # second instance trips the breaker after the first one stored east's move and before
    # it decides once more from the stored statuses
    rounds(first, [(member["east"], False)], ["r1", "r2"], 2,
           before_last=lambda: hooked.hooks.__setitem__("health.write", other_instance_trips))
    assert not hooked.hooks, "the interleaving did not happen"

    g = rig.call("gslb.get", {"id": gslb})
    assert g["publish_status"] == "HELD", g
    assert g["answers"] == [SITES["west"], SITES["north"]], "west's removal is held"
    assert rig.resolve(FQDN) == (dns.rcode.NOERROR, [SITES["west"], SITES["north"]])
    held = [e for e in rig.call("history.list", {"gslb_id": gslb, "limit": 100})["items"]
            if e["to"] == "HELD"]
    assert len(held) == 1, held


def _batch(region: str, at, monitor: str, items: list[tuple[str, bool]]) -> dict[str, Any]:
    return {"region": region, "checker_id": f"chk-{region}", "batch_id": f"{region}/{at.isoformat()}",
            "results": [{"member_id": m, "monitor_id": monitor, "ok": ok,
                         "reason": "ok" if ok else "connection refused",
                         "checked_at": at.isoformat()} for m, ok in items]}
