"""Refreshing the addresses of neutron members once per window.

``neutron_port``: the port's fixed IPs and its floating IPs. ``neutron_lbaas_v2``:
the load balancer's VIP and the VIP port's floating IPs. Looked up in the
member's own region. The outcome per member is an ``EndpointUpdate``:

- ``OK`` with the addresses found; probes of this window use them;
- ``ERROR`` with no addresses when the port / load balancer is gone;
- ``STALE`` with the last known addresses (those the batch carried) and the
  reason when the region's API is unreachable: a region outage must not
  empty a member's addresses.
"""
from __future__ import annotations

import asyncio
from typing import Callable

from kosmos.adapters.openstack import OpenStackRegions
from kosmos.checks.base import Target
from kosmos.contracts.common import utcnow
from kosmos.contracts.events import CheckSpec, EndpointUpdate
from kosmos.errors import NotFound, Unavailable
from kosmos.logs import get_logger

log = get_logger(__name__)
NEUTRON_TYPES = ("neutron_port", "neutron_lbaas_v2")


class EndpointDiscovery:
    """Callable for ``run_batch(discover=...)``: looks up each neutron member once."""

    def __init__(self, regions: OpenStackRegions | Callable[[], OpenStackRegions],
                 max_parallel: int = 8):
        self._regions = regions
        self.max_parallel = max_parallel

    @property
    def regions(self) -> OpenStackRegions:
        if callable(self._regions) and not isinstance(self._regions, OpenStackRegions):
            self._regions = self._regions()
        return self._regions

    async def __call__(self, targets: list[Target]) -> list[EndpointUpdate]:
        by_member: dict[str, list[Target]] = {}
        for t in targets:
            if t.spec.member_type in NEUTRON_TYPES:
                by_member.setdefault(t.spec.member_id, []).append(t)
        if not by_member:
            return []
        gate = asyncio.Semaphore(self.max_parallel)

        async def one(group: list[Target]) -> EndpointUpdate:
            async with gate:
                update = await asyncio.to_thread(self.lookup, group[0].spec)
            if update.status == "OK":
                for t in group:
                    t.address = pick_address(t.address, update.endpoints)
            elif update.status == "ERROR":
                for t in group:
                    t.address = None
            return update

        return list(await asyncio.gather(*(one(g) for g in by_member.values())))

    def lookup(self, spec: CheckSpec) -> EndpointUpdate:
        """The member's current addresses (blocking; run in a thread)."""
        region, nid = spec.member_region, spec.neutron_id
        if not region or not nid:
            return EndpointUpdate(member_id=spec.member_id, endpoints=[], status="ERROR",
                                  reason="member has no region or neutron_id", observed_at=utcnow())
        try:
            if spec.member_type == "neutron_port":
                found = self.regions.port_addresses(region, nid)
            else:
                found = self.regions.load_balancer_addresses(region, nid)
        except NotFound as exc:
            return EndpointUpdate(member_id=spec.member_id, endpoints=[], status="ERROR",
                                  reason=exc.message, observed_at=utcnow())
        except Unavailable as exc:
            log.warning("region unreachable; keeping last known endpoints",
                        extra={"member_id": spec.member_id, "region": region})
            return EndpointUpdate(member_id=spec.member_id, endpoints=list(spec.endpoints),
                                  status="STALE", reason=f"region {region} unreachable: {exc.message}",
                                  observed_at=utcnow())
        return EndpointUpdate(member_id=spec.member_id, endpoints=found, status="OK",
                              observed_at=utcnow())


def pick_address(current: str | None, endpoints: list[str]) -> str | None:
    """Keep probing the current address while it is still served, else the first one."""
    if current and current in endpoints:
        return current
    return endpoints[0] if endpoints else None
