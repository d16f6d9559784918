"""``local``: the local runner's embedded DNS responder, through its control API.

``settings.local_dns_url`` is the responder's control URL (see
``kosmos_local.dns``).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from kosmos.appliances.base import Appliance, Served
from kosmos.config import Settings
from kosmos.domain.routing.route import Route
from kosmos.errors import ApplianceError


class LocalAppliance(Appliance):
    name = "local"
    publish_s = 0.1   # the embedded server answers from the record it was just given
    routing = ("PRIORITY", "WEIGHTED", "GEO")
    per_query = True  # it picks each response from the route (kosmos.domain.routing.pick)

    def __init__(self, settings: Settings, session: requests.Session | None = None):
        super().__init__(settings)
        self._session = session
        self.timeout = 5.0

    @property
    def base(self) -> str:
        if not self.settings.local_dns_url:
            raise ApplianceError("KOSMOS_LOCAL_DNS_URL is not set for the local appliance")
        return self.settings.local_dns_url.rstrip("/")

    def _request(self, method: str, fqdn: str, body: dict[str, Any] | None = None) -> requests.Response:
        if self._session is None:
            self._session = requests.Session()
        url = f"{self.base}/v1/records/{quote(fqdn)}"
        try:
            resp = self._session.request(method, url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ApplianceError(f"local DNS unreachable: {exc.__class__.__name__}") from exc
        if resp.status_code >= 400 and not (resp.status_code == 404 and method == "GET"):
            raise ApplianceError(f"local DNS answered {resp.status_code} to {method} {fqdn}: "
                                 f"{resp.text[:200]}")
        return resp

    def set_answer(self, fqdn: str, zone: str, addresses: list[str], ttl: int,
                   route: Route | None = None) -> None:
        self._request("PUT", fqdn, {"zone": zone, "addresses": list(addresses), "ttl": ttl,
                                    "route": route.to_dict() if route is not None else None})

    def get_answer(self, fqdn: str, zone: str) -> Served:
        resp = self._request("GET", fqdn)
        if resp.status_code == 404:
            return Served()
        return _served(resp.json())

    def zone_answers(self, zone: str) -> dict[str, Served]:
        """One GET of every record the responder holds, kept to ``zone``'s names."""
        if self._session is None:
            self._session = requests.Session()
        try:
            resp = self._session.get(f"{self.base}/v1/records", timeout=self.timeout)
        except requests.RequestException as exc:
            raise ApplianceError(f"local DNS unreachable: {exc.__class__.__name__}") from exc
        if resp.status_code >= 400:
            raise ApplianceError(f"local DNS answered {resp.status_code} to a listing")
        return {name: _served(r) for name, r in resp.json().get("names", {}).items()
                if r.get("zone") == zone}

    def remove(self, fqdn: str, zone: str) -> None:
        self._request("DELETE", fqdn)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _served(record: dict[str, Any]) -> Served:
    route = record.get("route")
    digest = None
    if route is not None:
        try:
            digest = Route.from_dict(route).digest()
        except ValueError:
            digest = "unreadable"   # not what we would write: repaired as drift
    return Served([*record.get("a", []), *record.get("aaaa", [])], record.get("ttl"),
                  route_digest=digest)
