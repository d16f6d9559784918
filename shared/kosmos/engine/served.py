"""What appliances serve, read a zone at a time, and kept for a reconcile's other shards.

``ServedReader`` reads what one publish cycle compares against: one listing per
(appliance, zone) (``Appliance.zone_answers``) instead of one request per name.

``ZoneListings`` keeps, on a warm engine instance, the listings that the
shards of one reconcile (the same cron ``scheduled_at``) can share: at 10,000
names in shards of 500, each of twenty shards listed the whole zone again. A
shard borrows a listing taken by an earlier shard on this instance, no older
than ``reconcile_listing_max_age``. A borrowed listing may predate answers
pushed since (a failover between two shards), so it is trusted only where it
shows the answer wanted: at its first difference the shard lists the zone
again (``ServedReader.again``) and judges drift on a listing of its own, which
it then shares. A shard therefore lists a zone at most once, as before, and a
reconcile that finds nothing to repair lists it once per instance. A borrowed
listing misses drift from outside that came after it was taken (at most
``reconcile_listing_max_age`` ago), as a shard's own listing misses drift that
comes after it: the run is a snapshot a little older, and the next run finds it.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from kosmos.appliances.base import Served
from kosmos.appliances.registry import Appliances
from kosmos.errors import ApplianceError

Listing = dict[str, Served] | None   # None: the driver cannot list a zone
Key = tuple[str, str]                # (appliance, zone)


class ZoneListings:
    """Zone listings of the latest reconcile run, shared by its shards on this instance."""

    def __init__(self, max_age: float, monotonic: Callable[[], float] = time.monotonic):
        self.max_age = max_age
        self.monotonic = monotonic
        self._kept: dict[Key, tuple[str, float, Listing]] = {}
        self._lock = threading.Lock()

    def borrow(self, key: Key, run: str) -> tuple[bool, Listing]:
        """(True, listing) kept for ``run`` and young enough; (False, None) if not."""
        with self._lock:
            kept = self._kept.get(key)
        if (kept is None or kept[0] != run or self.max_age <= 0
                or self.monotonic() - kept[1] > self.max_age):
            return False, None
        return True, kept[2]

    def keep(self, key: Key, run: str, listing: Listing) -> None:
        """Keep ``listing`` (just taken) for ``run``; one per key: a later run replaces it."""
        with self._lock:
            self._kept[key] = (run, self.monotonic(), listing)


class ServedReader:
    """What appliances serve, read a zone at a time (``Appliance.zone_answers``).

    Reconcile reads every name it manages; one listing per (appliance, zone)
    replaces one request per name. A driver that cannot list a zone is asked
    name by name; a listing that fails fails every name of that zone without
    asking again (the appliance is down: one error, not thousands). Given
    ``shared`` and ``run`` (a reconcile shard), it borrows and shares listings
    through ``shared`` (see the module docstring).
    """

    def __init__(self, appliances: Appliances, shared: ZoneListings | None = None,
                 run: str | None = None):
        self.appliances = appliances
        self.shared = shared if run is not None else None
        self.run = run or ""
        self._zones: dict[Key, Listing | ApplianceError] = {}
        self._borrowed: set[Key] = set()
        self.listings = 0
        self.borrowed = 0

    def __call__(self, appliance: str, fqdn: str, zone: str) -> Served:
        key = (appliance, zone)
        if key not in self._zones:
            found, listing = self.shared.borrow(key, self.run) if self.shared else (False, None)
            if found:
                self._zones[key] = listing
                if listing is not None:   # None: asked name by name, which is fresh anyway
                    self._borrowed.add(key)
                    self.borrowed += 1
            else:
                self._list(key)
        return self._served(key, fqdn)

    def again(self, appliance: str, fqdn: str, zone: str, served: Served) -> Served:
        """What is served, from a read this reader made: ``served`` (what it said) unless
        that came from a borrowed listing, which is then replaced by a new one (once per
        zone)."""
        key = (appliance, zone)
        if key not in self._borrowed:
            return served
        self._borrowed.discard(key)
        self._list(key)
        return self._served(key, fqdn)

    def _list(self, key: Key) -> None:
        try:
            listing = self.appliances.get(key[0]).zone_answers(key[1])
        except ApplianceError as exc:
            self._zones[key] = exc
            return
        self._zones[key] = listing
        self.listings += 1
        if self.shared is not None:
            self.shared.keep(key, self.run, listing)

    def _served(self, key: Key, fqdn: str) -> Served:
        known = self._zones[key]
        if isinstance(known, ApplianceError):
            raise known
        if known is None:
            return self.appliances.get(key[0]).get_answer(fqdn, key[1])
        return known.get(fqdn, Served())
