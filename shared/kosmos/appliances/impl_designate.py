"""``designate``: OpenStack DNS (Designate) through openstacksdk ``conn.dns``.

The production default. Credentials come from clouds.yaml entry
``settings.designate_cloud`` (else ``settings.cloud``); the connection is made
on first use. The zone must exist in Designate (Terraform creates it) and is
looked up by name once per warm instance. A and AAAA are separate record
sets, created, updated or deleted so that exactly the answer is served.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as os_exc

from kosmos.appliances.base import Appliance, Served
from kosmos.config import Settings
from kosmos.domain.answers import canonical, split_families
from kosmos.errors import ApplianceError

_ERRORS = (os_exc.SDKException, ks_exc.ClientException)


def _connect(settings: Settings) -> Any:
    import openstack   # imported on first use: building a connection reads clouds.yaml
    return openstack.connect(cloud=settings.designate_cloud or settings.cloud)


class DesignateAppliance(Appliance):
    name = "designate"

    def __init__(self, settings: Settings, connection: Any = None,
                 connect: Callable[[Settings], Any] = _connect):
        super().__init__(settings)
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
                if rs.name == fqdn and rs.type in ("A", "AAAA")}

    def _call(self, what: str, fqdn: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ApplianceError:
            raise
        except os_exc.NotFoundException as exc:
            self._zones.clear()   # the zone may have been recreated with a new id
            raise ApplianceError(f"Designate {what} {fqdn}: not found ({exc})") from exc
        except _ERRORS as exc:
            raise ApplianceError(f"Designate {what} {fqdn} failed: {exc}") from exc

    def set_answer(self, fqdn: str, zone: str, addresses: list[str], ttl: int) -> None:
        def run() -> None:
            zone_id = self._zone_id(zone)
            current = self._recordsets(zone_id, fqdn)
            for rtype, values in zip(("A", "AAAA"), split_families(addresses)):
                rs = current.get(rtype)
                if values and rs is None:
                    self.conn.dns.create_recordset(zone_id, name=fqdn, type=rtype,
                                                   records=values, ttl=ttl)
                elif values and (canonical(rs.records or []) != values or rs.ttl != ttl):
                    self.conn.dns.update_recordset(rs, records=values, ttl=ttl)
                elif not values and rs is not None:
                    self.conn.dns.delete_recordset(rs, ignore_missing=True)
        self._call("set answer of", fqdn, run)

    def get_answer(self, fqdn: str, zone: str) -> Served:
        def run() -> Served:
            zone_id = self._zone_id(zone, missing_ok=True)
            if zone_id is None:
                return Served()
            sets = self._recordsets(zone_id, fqdn).values()
            addresses = [r for rs in sets for r in (rs.records or [])]
            ttls = [rs.ttl for rs in sets if rs.ttl is not None]
            return Served(canonical(addresses), min(ttls) if ttls else None)
        return self._call("read answer of", fqdn, run)

    def remove(self, fqdn: str, zone: str) -> None:
        def run() -> None:
            zone_id = self._zone_id(zone, missing_ok=True)
            if zone_id is None:
                return
            for rs in self._recordsets(zone_id, fqdn).values():
                self.conn.dns.delete_recordset(rs, ignore_missing=True)
        self._call("remove", fqdn, run)
