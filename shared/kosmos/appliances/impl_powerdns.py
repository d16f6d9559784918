"""``powerdns``: the PowerDNS Authoritative HTTP API.

One ``PATCH /api/v1/servers/{server}/zones/{zone}`` per answer, with the A and
AAAA rrsets as ``REPLACE`` (or ``DELETE`` for a family without addresses), so
both change in one request; a WEIGHTED or GEO answer is a LUA rrset instead
(``kosmos.appliances.powerdns_lua``; the server needs ``enable-lua-records``,
else set ``powerdns_lua_records`` false and only PRIORITY is offered); many answers of one zone go in one PATCH
(``set_answers``, up to ``batch_names`` names and ``max_body`` bytes each), which
PowerDNS applies as one transaction. Settings: ``powerdns_api_url``,
``powerdns_api_key`` (X-API-Key), ``powerdns_server_id``. The zone must exist
on the server; a missing zone is an ApplianceError naming it.
"""
from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

from kosmos.appliances.base import Appliance, NameAnswer, Served
from kosmos.appliances.powerdns_lua import addresses_in, digest_of, lua_rrset
from kosmos.config import Settings
from kosmos.domain.answers import canonical, split_families
from kosmos.domain.routing.route import Route
from kosmos.errors import ApplianceError, ApplianceRefused

#: Pauses before sending a request again after a 5xx (then the error stands); each is
#: stretched by up to half again at random, so writers that met do not meet again.
RETRY_PAUSES = (0.05, 0.1, 0.2, 0.4, 0.8)


class PowerDnsAppliance(Appliance):
    name = "powerdns"
    publish_s = 0.5   # the API applies the change and purges the caches of the names
    routing = ("PRIORITY", "WEIGHTED", "GEO")
    per_query = True

    def __init__(self, settings: Settings, session: requests.Session | None = None):
        super().__init__(settings)
        if not settings.powerdns_lua_records:   # the server does not run LUA records
            self.routing, self.per_query = ("PRIORITY",), False
        self._session = session
        self.timeout = 10.0
        # A PATCH costs PowerDNS about 0.06 s whatever its size, then about 0.1 ms a name:
        # the 8,334 names of a failover took 1.2-1.8 s in PATCHes of 500 names and
        # 0.84-1.2 s in PATCHes of 1,000 (bench/bench_powerdns_push.py, five runs).
        self.batch_names = 1000
        # The server refuses a body over webserver-max-bodysize (2 MB by default) with a
        # 400, which fails the push; a LUA answer of a large pool is kilobytes.
        self.max_body = 1_000_000
        # The threads of one instance change a zone one at a time: PowerDNS applies a
        # zone's PATCHes one after another anyway, and two that meet in its SQLite
        # backend make one of them a 500 ("database is locked") and a pause before it
        # is sent again. Other instances' PATCHes can still meet ours: those are retried.
        self._zone_locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _zone_url(self, zone: str) -> str:
        base = self.settings.powerdns_api_url.rstrip("/")
        return (f"{base}/api/v1/servers/{quote(self.settings.powerdns_server_id, safe='')}"
                f"/zones/{quote(zone, safe='')}")

    def _request(self, method: str, zone: str, **kwargs: Any) -> requests.Response:
        if self._session is None:
            self._session = requests.Session()
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        if self.settings.powerdns_api_key:
            headers["X-API-Key"] = self.settings.powerdns_api_key
        for pause in (*RETRY_PAUSES, None):
            try:
                resp = self._session.request(method, self._zone_url(zone), headers=headers,
                                             timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                raise ApplianceError(f"PowerDNS API unreachable: {exc.__class__.__name__}") from exc
            # A 5xx is often a backend busy for a moment (SQLite's "database is locked"
            # when two PATCHes meet): GET and PATCH (REPLACE/DELETE) are idempotent, so
            # they are sent again a few times before the push counts as failed.
            if resp.status_code < 500 or pause is None:
                break
            time.sleep(pause * (1 + random.random() / 2))
        # The zone URL is the only resource addressed, so 404 means "no such zone".
        if resp.status_code == 404 or (resp.status_code == 422 and "not find" in resp.text.lower()):
            raise ApplianceError(f"PowerDNS has no zone {zone}", field="zone_name")
        if resp.status_code == 422:   # the records themselves are wrong: sending them again won't do
            raise ApplianceRefused(f"PowerDNS refused (HTTP 422) {method} zone {zone}: "
                                   f"{_error_text(resp)}")
        if resp.status_code >= 400:
            raise ApplianceError(f"PowerDNS answered {resp.status_code} to {method} zone {zone}: "
                                 f"{_error_text(resp)}")
        return resp

    def _patch(self, zone: str, rrsets: list[dict[str, Any]]) -> None:
        self._patch_body(zone, json.dumps({"rrsets": rrsets}).encode())

    def _patch_body(self, zone: str, body: bytes) -> None:
        with self._locks_lock:
            lock = self._zone_locks.setdefault(zone, threading.Lock())
        with lock:
            self._request("PATCH", zone, data=body,
                          headers={"Content-Type": "application/json"})

    def set_answer(self, fqdn: str, zone: str, addresses: list[str], ttl: int,
                   route: Route | None = None) -> None:
        self._patch(zone, _rrsets(fqdn, addresses, ttl, route))

    def set_answers(self, zone: str, answers: list[NameAnswer]) -> dict[str, ApplianceError]:
        """One PATCH per ``batch_names`` answers or ``max_body`` bytes. PowerDNS applies
        a PATCH whole or not at all, so a refused one is sent again in halves, down to
        the answers it refuses (a few PATCHes for one bad answer of a thousand, not a
        thousand); an unreachable server fails them all at once."""
        failed: dict[str, ApplianceError] = {}
        items = [NameAnswer(*a) for a in answers]
        for start, chunk, parts in self._batches(items):
            try:
                self._send_halving(zone, chunk, parts, failed)
            except ApplianceError as exc:     # down, or no such zone: all of them
                failed.update({a.fqdn: exc for a in items[start:]})
                break
        return failed

    def _send_halving(self, zone: str, chunk: list[NameAnswer], parts: list[str],
                      failed: dict[str, ApplianceError]) -> None:
        """PATCH ``chunk`` (its answers' rrsets written as ``parts``); refused, each half."""
        try:
            self._patch_body(zone, _body(parts))
        except ApplianceRefused as exc:
            if len(chunk) == 1:
                failed[chunk[0].fqdn] = exc
                return
            half = len(chunk) // 2
            self._send_halving(zone, chunk[:half], parts[:half], failed)
            self._send_halving(zone, chunk[half:], parts[half:], failed)

    def _batches(self, items: list[NameAnswer]) -> Iterator[tuple[int, list[NameAnswer], list[str]]]:
        """(index of the first, the answers, their rrsets as JSON) of up to ``batch_names``
        answers and ``max_body`` bytes of body each. Each answer's rrsets are written once;
        one answer larger than ``max_body`` goes alone, and PowerDNS says whether it takes it."""
        start, parts, size = 0, [], 0
        for i, answer in enumerate(items):
            part = _rrsets_json(answer)   # ASCII: as many bytes as characters
            if parts and (len(parts) == self.batch_names
                          or size + len(part) + len(_BODY_FRAME) > self.max_body):
                yield start, items[start:i], parts
                start, parts, size = i, [], 0
            parts.append(part)
            size += len(part) + 2   # and the ", " before the next
        if parts:
            yield start, items[start:], parts

    def get_answer(self, fqdn: str, zone: str) -> Served:
        resp = self._request("GET", zone, params={"rrsets": "true", "rrset_name": fqdn})
        return _served_by_name(resp.json().get("rrsets", [])).get(fqdn, Served())

    def zone_answers(self, zone: str) -> dict[str, Served]:
        """One GET of the zone with its rrsets: every name's A and AAAA at once."""
        resp = self._request("GET", zone, params={"rrsets": "true"})
        return _served_by_name(resp.json().get("rrsets", []))

    def remove(self, fqdn: str, zone: str) -> None:
        try:
            self._patch(zone, [{"name": fqdn, "type": t, "changetype": "DELETE"}
                               for t in ("A", "AAAA", "LUA")])
        except ApplianceError as exc:
            if exc.field == "zone_name":   # no zone, so nothing is served: removed
                return
            raise

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


_BODY_FRAME = '{"rrsets": []}'


def _rrsets_json(answer: NameAnswer) -> str:
    """One answer's rrsets as JSON, without the list's brackets (a part of a body)."""
    return json.dumps(_rrsets(*answer))[1:-1]


def _body(parts: list[str]) -> bytes:
    """A PATCH body of rrsets already written as JSON (each answer's, without brackets)."""
    return ('{"rrsets": [' + ", ".join(parts) + "]}").encode()


def _rrsets(fqdn: str, addresses: list[str], ttl: int,
            route: Route | None = None) -> list[dict[str, Any]]:
    """The rrsets of one answer. Static: REPLACE the A and AAAA of a family with
    addresses, DELETE one without, and any LUA rrset. Routed (and not empty): the
    LUA rrset (``kosmos.appliances.powerdns_lua``), and no A or AAAA."""
    if route is not None and addresses:
        return [lua_rrset(fqdn, route, ttl), *({"name": fqdn, "type": t, "changetype": "DELETE"}
                                               for t in ("A", "AAAA"))]
    rrsets = [{"name": fqdn, "type": "LUA", "changetype": "DELETE"}]
    for rtype, values in zip(("A", "AAAA"), split_families(addresses)):
        if values:
            rrsets.append({"name": fqdn, "type": rtype, "ttl": ttl, "changetype": "REPLACE",
                           "records": [{"content": v, "disabled": False} for v in values]})
        else:
            rrsets.append({"name": fqdn, "type": rtype, "changetype": "DELETE"})
    return rrsets


def _served_by_name(rrsets: list[dict[str, Any]]) -> dict[str, Served]:
    """Enabled A, AAAA and LUA records of PowerDNS rrsets, by lower-case name; a LUA
    rrset's addresses are those its snippets may answer, its digest from its comment."""
    found: dict[str, tuple[list[str], int | None]] = {}
    digests: dict[str, str] = {}
    for rrset in rrsets:
        rtype = rrset.get("type")
        if rtype not in ("A", "AAAA", "LUA"):
            continue
        enabled = [r["content"] for r in rrset.get("records", []) if not r.get("disabled")]
        if not enabled:
            continue
        name = rrset.get("name", "").lower()
        if rtype == "LUA":
            digests[name] = digest_of(rrset) or "unknown"
            enabled = [a for content in enabled for a in addresses_in(content)]
        addresses, ttl = found.get(name, ([], None))
        ttl = rrset.get("ttl") if ttl is None else min(ttl, rrset.get("ttl", ttl))
        found[name] = (addresses + enabled, ttl)
    return {name: Served(canonical(a), ttl, route_digest=digests.get(name))
            for name, (a, ttl) in found.items()}


def _error_text(resp: requests.Response) -> str:
    try:
        return str(resp.json().get("error", ""))[:300]
    except ValueError:
        return resp.text[:300]
