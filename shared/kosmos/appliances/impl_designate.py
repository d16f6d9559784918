"""``designate``: OpenStack DNS (Designate) through openstacksdk ``conn.dns``.

The production default. Credentials come from clouds.yaml entry
``settings.designate_cloud`` (else ``settings.cloud``); the connection is made
on first use. The zone must exist in Designate (Terraform creates it) and is
looked up by name once per warm instance, and again when Designate says the
id it had is gone (the zone was recreated). A and AAAA are separate record
sets, created, updated or deleted so that exactly the answer is served.

Designate accepts a change, then pushes it to its name servers: a record set
is PENDING until they serve it, ERROR if they could not. So a returned
``set_answer`` means accepted (``confirms_later``), and read-back reports
``pending`` or ``failed`` until Designate says ACTIVE.

Errors: 400 (e.g. a name outside the zone) and 413 (a quota) are permanent
(``ApplianceRefused``): sending the same answer again cannot succeed. 409 on
create means another engine created the record set first: it is updated
instead. Everything else is retryable (``ApplianceError``).
"""
from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any, Callable, Iterable

from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as os_exc

from kosmos.appliances.base import FAILED, PENDING, SERVED, Appliance, Served
from kosmos.config import Settings
from kosmos.domain.answers import canonical, split_families
from kosmos.errors import ApplianceError, ApplianceRefused

_ERRORS = (os_exc.SDKException, ks_exc.ClientException)
_PERMANENT = (400, 413)
_TYPES = ("A", "AAAA")


def _connect(settings: Settings) -> Any:
    import openstack   # imported on first use: building a connection reads clouds.yaml
    return openstack.connect(cloud=settings.designate_cloud or settings.cloud)


def _status_code(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None)


class _ZoneGone(Exception):
    """The cached zone id names a zone Designate no longer has."""


class DesignateAppliance(Appliance):
    name = "designate"
    confirms_later = True
    # the worker's push to the pool's name servers (NOTIFY, then their zone transfer)
    publish_s = 10.0

    def __init__(self, settings: Settings, connection: Any = None,
                 connect: Callable[[Settings], Any] = _connect):
        super().__init__(settings)
        self.max_answers = settings.designate_max_records
        self._conn = connection
        self._connect = connect
        self._zones: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def conn(self) -> Any:
        with self._lock:
            if self._conn is None:
                try:
                    self._conn = self._connect(self.settings)
                except _ERRORS as exc:
                    raise ApplianceError(f"cannot connect to Designate: {exc}") from exc
            return self._conn

    def _zone_id(self, zone: str, missing_ok: bool = False) -> str | None:
        if zone in self._zones:
            return self._zones[zone]
        found = [z for z in self.conn.dns.zones(name=zone) if z.name == zone]
        if not found:
            if missing_ok:
                return None
            raise ApplianceError(f"Designate has no zone {zone}", field="zone_name")
        self._zones[zone] = found[0].id
        return found[0].id

    def _recordsets(self, zone_id: str, fqdn: str) -> dict[str, Any]:
        return {rs.type: rs for rs in self.conn.dns.recordsets(zone_id, name=fqdn)
                if rs.name == fqdn and rs.type in _TYPES}

    def _call(self, what: str, fqdn: str, zone: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn``; a zone id gone stale is looked up again once, errors are classified."""
        for attempt in (1, 2):
            try:
                return fn()
            except ApplianceError:
                raise
            except (_ZoneGone, os_exc.NotFoundException) as exc:
                self._zones.pop(zone, None)   # the zone may have been recreated with a new id
                if attempt == 2:
                    raise ApplianceError(f"Designate {what} {fqdn}: zone {zone} not found") from exc
            except _ERRORS as exc:
                code = _status_code(exc)
                if code in _PERMANENT:
                    raise ApplianceRefused(f"Designate refused to {what} {fqdn} (HTTP {code}): "
                                           f"{_message(exc)}") from exc
                raise ApplianceError(f"Designate {what} {fqdn} failed: {_message(exc)}") from exc
        raise AssertionError("unreachable")

    def set_answer(self, fqdn: str, zone: str, addresses: list[str], ttl: int) -> None:
        def run() -> None:
            zone_id = self._zone_id(zone)
            current = self._recordsets(zone_id, fqdn)
            for rtype, values in zip(_TYPES, split_families(addresses)):
                rs = current.get(rtype)
                if values and rs is None:
                    self._create(zone_id, fqdn, rtype, values, ttl)
                elif values and (canonical(rs.records or []) != values or rs.ttl != ttl):
                    self.conn.dns.update_recordset(rs, records=values, ttl=ttl)
                elif not values and rs is not None:
                    self.conn.dns.delete_recordset(rs, ignore_missing=True)
        self._call("set the answer of", fqdn, zone, run)

    def _create(self, zone_id: str, fqdn: str, rtype: str, values: list[str], ttl: int) -> None:
        try:
            self.conn.dns.create_recordset(zone_id, name=fqdn, type=rtype, records=values, ttl=ttl)
        except os_exc.ConflictException:
            # another engine created it a moment ago: converge on ours
            rs = self._recordsets(zone_id, fqdn).get(rtype)
            if rs is None:
                raise
            if canonical(rs.records or []) != values or rs.ttl != ttl:
                self.conn.dns.update_recordset(rs, records=values, ttl=ttl)

    def get_answer(self, fqdn: str, zone: str) -> Served:
        def run() -> Served:
            zone_id = self._zone_id(zone, missing_ok=True)
            if zone_id is None:
                return Served()
            return _served(self._recordsets(zone_id, fqdn).values())
        return self._call("read the answer of", fqdn, zone, run)

    def zone_answers(self, zone: str) -> dict[str, Served] | None:
        """Every name of the zone from one (paginated) record set listing."""
        def run() -> dict[str, Served]:
            zone_id = self._zone_id(zone, missing_ok=True)
            if zone_id is None:
                return {}
            by_name: dict[str, list[Any]] = defaultdict(list)
            for rs in self.conn.dns.recordsets(zone_id):
                if rs.type in _TYPES:
                    by_name[rs.name].append(rs)
            return {name: _served(sets) for name, sets in by_name.items()}
        return self._call("list the answers of", zone, zone, run)

    def remove(self, fqdn: str, zone: str) -> None:
        def run() -> None:
            zone_id = self._zone_id(zone, missing_ok=True)
            if zone_id is None:
                return
            for rs in self._recordsets(zone_id, fqdn).values():
                self.conn.dns.delete_recordset(rs, ignore_missing=True)
        try:
            self._call("remove", fqdn, zone, run)
        except ApplianceError as exc:
            if "not found" in exc.message:   # the zone is gone, and the name with it
                return
            raise


def _served(sets: Iterable[Any]) -> Served:
    """The answer of a name's A/AAAA record sets, with Designate's view of their push."""
    sets = list(sets)
    addresses = [r for rs in sets for r in (rs.records or [])]
    ttls = [rs.ttl for rs in sets if rs.ttl is not None]
    state, detail = SERVED, ""
    for rs in sets:
        status = str(getattr(rs, "status", "") or "ACTIVE").upper()
        if status == "ERROR":
            state, detail = FAILED, f"{rs.type} record set is ERROR in Designate"
        elif status == "PENDING" and state != FAILED:
            state, detail = PENDING, f"{rs.type} record set is PENDING in Designate"
    return Served(canonical(addresses), min(ttls) if ttls else None, state, detail)


def _message(exc: BaseException) -> str:
    text = getattr(exc, "details", None) or str(exc)
    return str(text).splitlines()[0][:300] if text else exc.__class__.__name__
