"""Refreshing the addresses of neutron members once per window.

Each member is looked up in its own region (``kosmos.adapters.endpoint_lookup``);
probes of this window use the addresses found, none when the port or load
balancer is gone, and the last known ones (those the batch carried) when the
region's API is unreachable.
"""
from __future__ import annotations

import asyncio
from typing import Callable

from kosmos.adapters.endpoint_lookup import NEUTRON_TYPES, lookup_endpoints
from kosmos.adapters.openstack import OpenStackRegions
from kosmos.probes.base import Target
from kosmos.contracts.events import CheckSpec, EndpointUpdate


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
        return lookup_endpoints(self.regions, member_id=spec.member_id,
                                member_type=spec.member_type, region=spec.member_region,
                                neutron_id=spec.neutron_id, project_id=spec.project_id,
                                last_known=spec.endpoints)


def pick_address(current: str | None, endpoints: list[str]) -> str | None:
    """Keep probing the current address while it is still served, else the first one."""
    if current and current in endpoints:
        return current
    return endpoints[0] if endpoints else None
