"""``local``: the local runner's embedded DNS responder, through its control API.

``settings.local_dns_url`` is the responder's control URL (see
``kosmos_local.dns``).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from kosmos.appliances.base import Appliance, NameAnswer, Served
from kosmos.config import Settings
from kosmos.domain.routing.route import Route
from kosmos.errors import ApplianceError, ApplianceRefused


class LocalAppliance(Appliance):
    name = "local"
    publish_s = 0.1   # the embedded server answers from the record it was just given
    batch_names = 500  # answers per PATCH (the server takes at most 1,000)
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
        return self._call(method, f"/v1/records/{quote(fqdn)}", body, fqdn)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              fqdn: str | None = None) -> requests.Response:
        if self._session is None:
            self._session = requests.Session()
        try:
            resp = self._session.request(method, self.base + path, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ApplianceError(f"local DNS unreachable: {exc.__class__.__name__}") from exc
        if resp.status_code >= 400 and not (resp.status_code == 404 and method == "GET"):
            raise ApplianceError(f"local DNS answered {resp.status_code} to {method} "
                                 f"{fqdn or path}: {resp.text[:200]}")
        return resp

    def set_answer(self, fqdn: str, zone: str, addresses: list[str], ttl: int,
                   route: Route | None = None) -> None:
        self._request("PUT", fqdn, {"zone": zone, "addresses": list(addresses), "ttl": ttl,
                                    "route": route.to_dict() if route is not None else None})

    def set_answers(self, zone: str, answers: list[NameAnswer]) -> dict[str, ApplianceError]:
        """One PATCH per ``batch_names`` answers, each written to the server's state file
        once (one PUT per name rewrote it per name); the answers it refused by name. An
        unreachable server fails the rest at once."""
        failed: dict[str, ApplianceError] = {}
        items = [NameAnswer(*a) for a in answers]
        for i in range(0, len(items), self.batch_names):
            chunk = items[i:i + self.batch_names]
            body = {"records": [{"fqdn": a.fqdn, "addresses": list(a.addresses), "ttl": a.ttl,
                                 "route": a.route.to_dict() if a.route is not None else None}
                                for a in chunk]}
            try:
                resp = self._call("PATCH", f"/v1/zones/{quote(zone)}/records", body)
                refused = _refused(resp)
            except ApplianceError as exc:
                failed.update({a.fqdn: exc for a in items[i:]})
                break
            failed.update({a.fqdn: ApplianceRefused(f"local DNS refused {a.fqdn}: "
                                                    f"{str(refused[a.fqdn])[:200]}")
                           for a in chunk if a.fqdn in refused})
        return failed

    def get_answer(self, fqdn: str, zone: str) -> Served:
        resp = self._request("GET", fqdn)
        if resp.status_code == 404:
            return Served()
        return _served(resp.json())

    def zone_answers(self, zone: str) -> dict[str, Served]:
        """One GET of every record the responder holds, kept to ``zone``'s names."""
        resp = self._call("GET", "/v1/records")
        if resp.status_code >= 400:
            raise ApplianceError(f"local DNS answered {resp.status_code} to a listing")
        return {name: _served(r) for name, r in resp.json().get("names", {}).items()
                if r.get("zone") == zone}

    def remove(self, fqdn: str, zone: str) -> None:
        self._request("DELETE", fqdn)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _refused(resp: requests.Response) -> dict[str, Any]:
    """The answers a PATCH refused, by name, from its reply."""
    try:
        refused = resp.json().get("failed") or {}
    except (ValueError, AttributeError):
        refused = None
    if not isinstance(refused, dict):
        raise ApplianceError("local DNS answered a PATCH with no list of failures")
    return refused


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
