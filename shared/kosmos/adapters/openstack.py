"""OpenStack, region by region: Neutron addresses and Octavia status.

One openstacksdk ``Connection`` per region, built on first use (never at
import) from clouds.yaml (``settings.cloud``) and reused while warm. Blocking
calls: the checker runs them in threads. Every third-party exception is
translated here:

- the port or load balancer does not exist → ``kosmos.errors.NotFound``
- the region's API cannot be reached, times out, has no such endpoint, or
  answers 5xx → ``kosmos.errors.Unavailable`` (the caller keeps last known data)
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from kosmos.errors import KosmosError, NotFound, Unavailable

Connect = Callable[[str], Any]


def default_connect(cloud: str | None) -> Connect:
    def connect(region: str) -> Any:
        import openstack  # imported lazily: costs ~0.3 s and is only needed here
        return openstack.connect(cloud=cloud, region_name=region)
    return connect


class OpenStackRegions:
    """Region-scoped lookups the checker needs."""

    def __init__(self, connect: Connect):
        self._connect = connect
        self._conns: dict[str, Any] = {}
        self._lock = threading.Lock()

    def connection(self, region: str) -> Any:
        with self._lock:
            conn = self._conns.get(region)
            if conn is None:
                with translated(f"region {region}"):
                    conn = self._conns[region] = self._connect(region)
            return conn

    def port_addresses(self, region: str, port_id: str) -> list[str]:
        """The port's fixed IPs, then the floating IPs bound to it."""
        with translated(f"port {port_id} in {region}"):
            net = self.connection(region).network
            port = net.get_port(port_id)
            fixed = [ip["ip_address"] for ip in (port.fixed_ips or []) if ip.get("ip_address")]
            floating = [f.floating_ip_address for f in net.ips(port_id=port_id)
                        if f.floating_ip_address]
        return _unique(fixed + floating)

    def load_balancer_addresses(self, region: str, lb_id: str) -> list[str]:
        """The load balancer's VIP, then the floating IPs bound to the VIP's port."""
        with translated(f"load balancer {lb_id} in {region}"):
            conn = self.connection(region)
            lb = conn.load_balancer.get_load_balancer(lb_id)
            addresses = [lb.vip_address] if lb.vip_address else []
            if lb.vip_port_id:
                addresses += [f.floating_ip_address for f in conn.network.ips(port_id=lb.vip_port_id)
                              if f.floating_ip_address]
        return _unique(addresses)

    def load_balancer_status(self, region: str, lb_id: str) -> dict[str, Any]:
        """Octavia's status tree: ``{"loadbalancer": {operating_status, listeners: [...]}}``."""
        with translated(f"load balancer {lb_id} in {region}"):
            resp = self.connection(region).load_balancer.get(f"/lbaas/loadbalancers/{lb_id}/status")
            if resp.status_code == 404:
                raise NotFound(f"load balancer {lb_id} not found in {region}")
            if resp.status_code >= 400:
                raise _http_error(resp.status_code, f"load balancer {lb_id} in {region}")
            return resp.json().get("statuses", {})


class translated:
    """Context manager turning openstacksdk / keystoneauth errors into Kosmos errors."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self) -> "translated":
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, KosmosError):
            return False
        from keystoneauth1 import exceptions as ks
        from openstack import exceptions as sdk
        if isinstance(exc, (sdk.NotFoundException, sdk.ResourceNotFound)):
            raise NotFound(f"{self.what} not found") from exc
        if isinstance(exc, sdk.HttpException) and exc.status_code is not None:
            raise _http_error(exc.status_code, self.what) from exc
        if isinstance(exc, (ks.ClientException, sdk.SDKException, OSError)):
            raise Unavailable(f"{self.what}: {exc.__class__.__name__}: {_short(exc)}",
                              retry_after=5.0) from exc
        return False


def _http_error(status: int, what: str) -> KosmosError:
    if status == 404:
        return NotFound(f"{what} not found")
    return Unavailable(f"{what}: the region's API answered HTTP {status}", retry_after=5.0)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:200]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
