"""``noop``: a real, registered driver that serves nothing and remembers answers.

It keeps the answers in memory of this process, so the engine can run (and be
measured) with no DNS service; ``get_answer`` returns what was last set.
"""
from __future__ import annotations

import threading

from kosmos.appliances.base import Appliance, Served
from kosmos.config import Settings
from kosmos.domain.answers import canonical
from kosmos.domain.routing.route import Route


class NoopAppliance(Appliance):
    name = "noop"
    publish_s = 0.0
    routing = ("PRIORITY", "WEIGHTED", "GEO")   # it serves nothing, so it "serves" them all

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self._lock = threading.Lock()
        self.records: dict[str, Served] = {}
        self.calls = 0

    def set_answer(self, fqdn: str, zone: str, addresses: list[str], ttl: int,
                   route: Route | None = None) -> None:
        with self._lock:
            self.calls += 1
            if addresses:
                self.records[fqdn] = Served(canonical(addresses), ttl, route_digest=(
                    route.digest() if route is not None else None))
            else:
                self.records.pop(fqdn, None)

    def get_answer(self, fqdn: str, zone: str) -> Served:
        with self._lock:
            return self.records.get(fqdn, Served())

    def remove(self, fqdn: str, zone: str) -> None:
        with self._lock:
            self.records.pop(fqdn, None)
