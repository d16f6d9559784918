"""The local responder's records: managed zones and per-name A/AAAA sets, in a JSON file.

Every change is written to the file atomically (write a temporary file, then
rename), so a restarted responder serves the same answers.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any

from kosmos.domain.answers import split_families
from kosmos.domain.routing.route import Route
from kosmos.contracts.dnsnames import is_within_zone


@dataclass
class NameRecords:
    zone: str
    a: list[str] = field(default_factory=list)
    aaaa: list[str] = field(default_factory=list)
    ttl: int = 30
    # WEIGHTED, GEO: the route each response is picked from (Route.to_dict)
    route: dict[str, Any] | None = None

    def steering(self) -> Route | None:
        """The route, parsed once per record."""
        if self.route is None:
            return None
        cached = self.__dict__.get("_parsed")
        if cached is None:
            cached = self.__dict__["_parsed"] = Route.from_dict(self.route)
        return cached


class RecordStore:
    """Thread-safe records of the local responder, persisted to ``path`` when given."""

    def __init__(self, path: str | None = None):
        self.path = path
        self._lock = threading.Lock()
        self.zones: set[str] = set()
        self.names: dict[str, NameRecords] = {}
        self.serial = 1
        if path and os.path.exists(path):
            self._load()

    # ------------------------------------------------------------ reading
    def zone_for(self, qname: str) -> str | None:
        """The longest managed zone containing ``qname``, or None (not ours)."""
        qname = qname.lower()
        with self._lock:
            inside = [z for z in self.zones if is_within_zone(qname, z)]
        return max(inside, key=len) if inside else None

    def get(self, fqdn: str) -> NameRecords | None:
        with self._lock:
            return self.names.get(fqdn.lower())   # records are replaced, never changed in place

    def has_descendant(self, qname: str) -> bool:
        """True when a managed name lies below ``qname`` (an empty non-terminal)."""
        suffix = "." + qname.lower()
        with self._lock:
            return any(n.endswith(suffix) for n in self.names)

    def dump(self) -> dict[str, Any]:
        with self._lock:
            return {"zones": sorted(self.zones), "serial": self.serial,
                    "names": {n: _plain(r) for n, r in sorted(self.names.items())}}

    # ------------------------------------------------------------ writing
    def add_zone(self, zone: str) -> None:
        with self._lock:
            if zone.lower() not in self.zones:
                self.zones.add(zone.lower())
                self._changed()

    def put(self, fqdn: str, zone: str, addresses: list[str], ttl: int,
            route: dict[str, Any] | None = None) -> None:
        """Serve exactly ``addresses`` for ``fqdn`` (none: remove the name, keep the zone);
        with a ``route``, each response is picked from it (ValueError if it is not one)."""
        fqdn, zone = fqdn.lower(), zone.lower()
        new = _records(zone, addresses, ttl, route)
        with self._lock:
            self.zones.add(zone)
            if self._set(fqdn, new):
                self._changed()

    def put_many(self, zone: str, answers: list[tuple[str, list[str], int, dict[str, Any] | None]]
                 ) -> dict[str, str]:
        """``put`` each (fqdn, addresses, ttl, route) of ``zone``, written to the file once;
        the names whose route is not one, with why (the others are served)."""
        zone = zone.lower()
        failed: dict[str, str] = {}
        ready: list[tuple[str, NameRecords | None]] = []
        for fqdn, addresses, ttl, route in answers:
            try:
                ready.append((fqdn.lower(), _records(zone, addresses, ttl, route)))
            except ValueError as exc:
                failed[fqdn] = f"route: {exc}"
        with self._lock:
            self.zones.add(zone)
            changed = [self._set(fqdn, new) for fqdn, new in ready]
            if any(changed):
                self._changed()
        return failed

    def _set(self, fqdn: str, new: "NameRecords | None") -> bool:
        """Hold ``new`` for ``fqdn`` (None: not served); whether that changed anything."""
        if self.names.get(fqdn) == new and (new or fqdn not in self.names):
            return False
        if new is None:
            self.names.pop(fqdn, None)
        else:
            self.names[fqdn] = new
        return True

    def delete(self, fqdn: str) -> None:
        with self._lock:
            if self.names.pop(fqdn.lower(), None) is not None:
                self._changed()

    # ------------------------------------------------------------ persistence
    def _changed(self) -> None:
        self.serial += 1
        if not self.path:
            return
        data = {"zones": sorted(self.zones), "serial": self.serial,
                "names": {n: _plain(r) for n, r in self.names.items()}}
        folder = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".local-dns-", dir=folder)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def _load(self) -> None:
        with open(self.path, encoding="utf-8") as fh:   # type: ignore[arg-type]
            data = json.load(fh)
        self.zones = set(data.get("zones", []))
        self.serial = int(data.get("serial", 1))
        self.names = {n: NameRecords(**r) for n, r in data.get("names", {}).items()}


def _records(zone: str, addresses: list[str], ttl: int,
             route: dict[str, Any] | None) -> NameRecords | None:
    """The records serving ``addresses`` (None: none); ValueError for a route that is not one."""
    a, aaaa = split_families(addresses)
    if route is not None:
        route = Route.from_dict(route).to_dict()
    return NameRecords(zone, a, aaaa, ttl, route) if (a or aaaa) else None


def _plain(rec: NameRecords) -> dict[str, Any]:
    return {"zone": rec.zone, "a": rec.a, "aaaa": rec.aaaa, "ttl": rec.ttl, "route": rec.route}
