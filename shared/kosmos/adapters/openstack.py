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
    """Region-scoped lookups the checker needs.

    Every read names the project that must own the object (the member's): the
    service's credential may see other projects' ports and load balancers (an
    observer role), and an object another project owns is reported as not
    found, never used.
    """

    def __init__(self, connect: Connect):
        self._connect = connect
        self._conns: dict[str, Any] = {}
        self._ready: set[str] = set()
        self._owned_lbs: set[tuple[str, str, str | None]] = set()
        self._lock = threading.Lock()

    def connection(self, region: str) -> Any:
        with self._lock:
            conn = self._conns.get(region)
            if conn is None:
                with translated(f"region {region}"):
                    conn = self._conns[region] = self._connect(region)
            return conn

    def connected(self, region: str) -> bool:
        """Whether the region is ready for reads that must fit in a probe's timeout:
        connection built, token fetched, load-balancer endpoint found (``prepare``)."""
        with self._lock:
            return region in self._ready

    def prepare(self, region: str) -> None:
        """Pay once, outside any probe, for what a first read would: openstacksdk's
        import, Keystone authentication and the load-balancer endpoint's lookup."""
        with translated(f"region {region}"):
            conn = self.connection(region)
            conn.authorize()
            conn.load_balancer.get_endpoint()
        with self._lock:
            self._ready.add(region)

    def port_addresses(self, region: str, port_id: str, project_id: str | None) -> list[str]:
        """The port's fixed IPs, then the floating IPs bound to it."""
        with translated(f"port {port_id} in {region}"):
            net = self.connection(region).network
            port = net.get_port(port_id)
            _owned(port, project_id, f"port {port_id} in {region}")
            fixed = [ip["ip_address"] for ip in (port.fixed_ips or []) if ip.get("ip_address")]
            floating = [f.floating_ip_address for f in net.ips(port_id=port_id)
                        if f.floating_ip_address]
        return _unique(fixed + floating)

    def load_balancer_addresses(self, region: str, lb_id: str, project_id: str | None) -> list[str]:
        """The load balancer's VIP, then the floating IPs bound to the VIP's port."""
        what = f"load balancer {lb_id} in {region}"
        with translated(what):
            conn = self.connection(region)
            api = conn.load_balancer
            lb = _octavia_get(api, _octavia_root(api), f"loadbalancers/{lb_id}", what)["loadbalancer"]
            _owned(lb, project_id, what)
            addresses = [lb["vip_address"]] if lb.get("vip_address") else []
            if lb.get("vip_port_id") and _has_network(conn):
                addresses += [f.floating_ip_address for f in conn.network.ips(port_id=lb["vip_port_id"])
                              if f.floating_ip_address]
        return _unique(addresses)

    def load_balancer_status(self, region: str, lb_id: str, project_id: str | None) -> dict[str, Any]:
        """Octavia's status tree (``{"loadbalancer": {operating_status, listeners: [...]}}``)
        with each listener's ``protocol_port`` added, for the member's own listener.

        Ownership is read once per load balancer and project (Octavia never moves a
        load balancer between projects); the listeners and the tree on every call."""
        what = f"load balancer {lb_id} in {region}"
        with translated(what):
            api = self.connection(region).load_balancer
            root = _octavia_root(api)
            if (region, lb_id, project_id) not in self._owned_lbs:
                lb = _octavia_get(api, root, f"loadbalancers/{lb_id}", what)["loadbalancer"]
                _owned(lb, project_id, what)
                with self._lock:
                    self._owned_lbs.add((region, lb_id, project_id))
            listeners = _octavia_get(api, root, f"listeners?loadbalancer_id={lb_id}", what)["listeners"]
            tree = _octavia_get(api, root, f"loadbalancers/{lb_id}/status", what).get("statuses", {})
        ports = {li.get("id"): li.get("protocol_port") for li in listeners}
        for li in (tree.get("loadbalancer") or {}).get("listeners") or []:
            li["protocol_port"] = ports.get(li.get("id"))
        return tree


def _has_network(conn: Any) -> bool:
    """Whether the catalog offers Neutron (a cloud without it has no floating IPs; an
    unreachable Neutron is another matter: its error reaches the caller)."""
    from keystoneauth1 import exceptions as ks
    from openstack import exceptions as sdk
    try:
        conn.network.get_endpoint()
    except (sdk.ServiceDisabledException, ks.EndpointNotFound):
        return False
    return True


def _octavia_root(api: Any) -> str:
    """Octavia's root, whatever the catalog's endpoint ends in (``.../v2``, ``.../v2.0``
    or nothing: openstacksdk's own resource paths double the version on the first two)."""
    endpoint = str(api.get_endpoint() or "").rstrip("/")
    for suffix in ("/v2.0", "/v2"):
        if endpoint.endswith(suffix):
            endpoint = endpoint[: -len(suffix)]
    return endpoint


def _octavia_get(api: Any, root: str, path: str, what: str) -> dict[str, Any]:
    """GET ``<root>/v2/lbaas/<path>`` as a JSON object."""
    resp = api.get(f"{root}/v2/lbaas/{path}", raise_exc=False)
    if resp.status_code >= 400:
        raise _http_error(resp.status_code, what)
    body = resp.json()
    if not isinstance(body, dict):
        raise Unavailable(f"{what}: the region's API answered a body that is not an object",
                          retry_after=5.0)
    return body


def _owned(obj: Any, project_id: str | None, what: str) -> None:
    """An object of another project is not found, whatever the credential may see."""
    get = obj.get if isinstance(obj, dict) else lambda k: getattr(obj, k, None)
    owner = get("project_id") or get("tenant_id")
    if project_id is not None and owner != project_id:
        raise NotFound(f"{what} not found in project {project_id}")


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
    if status == 403:
        return Unavailable(f"{what}: the region's API refused Kosmos's credential (HTTP 403): "
                           "it lacks a read role there (see the deployment guide)", retry_after=60.0)
    return Unavailable(f"{what}: the region's API answered HTTP {status}", retry_after=5.0)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:200]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
