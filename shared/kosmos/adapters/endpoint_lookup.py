"""The served addresses of a neutron member, looked up in its own region.

``neutron_port``: the port's fixed IPs and its floating IPs. ``neutron_lbaas_v2``:
the load balancer's VIP and the VIP port's floating IPs, of an object the
member's project owns. The outcome is an ``EndpointUpdate``:

- ``OK`` with the addresses found;
- ``ERROR`` with no addresses when the port / load balancer is gone (or
  belongs to another project);
- ``STALE`` with the last known addresses and the reason when the region's
  API is unreachable: a region outage must not empty a member's addresses.

The api resolves a member this way when it is created (or its port changes);
the checker refreshes every neutron member once per window.
"""
from __future__ import annotations

from kosmos.adapters.openstack import OpenStackRegions
from kosmos.contracts.common import utcnow
from kosmos.contracts.events import EndpointUpdate
from kosmos.errors import NotFound, Unavailable
from kosmos.logs import get_logger

log = get_logger(__name__)
NEUTRON_TYPES = ("neutron_port", "neutron_lbaas_v2")


def lookup_endpoints(regions: OpenStackRegions, *, member_id: str, member_type: str,
                     region: str | None, neutron_id: str | None, project_id: str | None,
                     last_known: list[str]) -> EndpointUpdate:
    """The member's current addresses (blocking: callers in asyncio use a thread)."""
    if not region or not neutron_id:
        return EndpointUpdate(member_id=member_id, endpoints=[], status="ERROR",
                              reason="member has no region or neutron_id", observed_at=utcnow())
    try:
        if member_type == "neutron_port":
            found = regions.port_addresses(region, neutron_id, project_id)
        else:
            found = regions.load_balancer_addresses(region, neutron_id, project_id)
    except NotFound as exc:
        return EndpointUpdate(member_id=member_id, endpoints=[], status="ERROR",
                              reason=exc.message, observed_at=utcnow())
    except Unavailable as exc:
        log.warning("region unreachable; keeping last known endpoints",
                    extra={"member_id": member_id, "region": region})
        return EndpointUpdate(member_id=member_id, endpoints=list(last_known), status="STALE",
                              reason=f"region {region} unreachable: {exc.message}",
                              observed_at=utcnow())
    return EndpointUpdate(member_id=member_id, endpoints=found, status="OK", observed_at=utcnow())


def member_resolver(regions: OpenStackRegions):
    """``resolve(member row) -> EndpointUpdate``: the api's lookup of a stored (or
    about to be stored) member, in its own project."""
    def resolve(member: dict) -> EndpointUpdate:
        return lookup_endpoints(regions, member_id=member["id"], member_type=member["type"],
                                region=member.get("region"), neutron_id=member.get("neutron_id"),
                                project_id=member.get("project_id"),
                                last_known=list(member.get("endpoints") or []))
    return resolve
