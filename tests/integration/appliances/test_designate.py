"""The Designate driver against a real Designate, PowerDNS behind it, real Keystone.

PowerDNS takes each zone from designate-mdns (NOTIFY, AXFR); what the driver
pushes is checked over DNS, and read-back is checked against what Designate
says of its own push (PENDING, ERROR, ACTIVE).
"""
from __future__ import annotations

import threading
import time

import pytest

from kosmos.appliances.base import PENDING, SERVED
from kosmos.appliances.impl_designate import DesignateAppliance
from kosmos.config import Settings
from kosmos.errors import ApplianceError, ApplianceRefused

pytestmark = pytest.mark.openstack


@pytest.fixture
def tenant(designate, tmp_path, monkeypatch):
    from fixtures.openstack.designate import Tenant
    t = Tenant(designate, tmp_path)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(t.clouds))
    return t


def _driver() -> DesignateAppliance:
    return DesignateAppliance(Settings(cloud="kosmos"))


def _until(check, timeout: float = 90.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def test_answer_pushed_read_back_served_and_removed(tenant):
    d, name = _driver(), f"www.{tenant.zone}"
    d.set_answer(name, tenant.zone, ["192.0.2.1", "192.0.2.2", "2001:db8::1"], 30)
    assert _until(lambda: d.get_answer(name, tenant.zone).state == SERVED)
    served = d.get_answer(name, tenant.zone)
    assert served.addresses == ["192.0.2.1", "192.0.2.2", "2001:db8::1"] and served.ttl == 30
    assert _until(lambda: tenant.query(name) == ["192.0.2.1", "192.0.2.2"])
    # two recordsets, which may reach PowerDNS in two zone transfers: the AAAA may follow
    assert _until(lambda: tenant.query(name, "AAAA") == ["2001:db8::1"])
    assert d.zone_answers(tenant.zone)[name] == served        # one listing, same view
    d.set_answer(name, tenant.zone, ["192.0.2.2"], 30)       # AAAA set deleted, A updated
    assert _until(lambda: tenant.query(name) == ["192.0.2.2"] and not tenant.query(name, "AAAA"))
    d.remove(name, tenant.zone)
    d.remove(name, tenant.zone)                               # already gone: fine
    assert _until(lambda: not tenant.query(name))


def test_read_back_says_pending_while_the_name_servers_are_down(tenant, designate):
    d, name = _driver(), f"down.{tenant.zone}"
    designate.pdns.stop()
    try:
        d.set_answer(name, tenant.zone, ["192.0.2.7"], 30)
        time.sleep(3)                                          # several poll rounds
        served = d.get_answer(name, tenant.zone)
        assert served.addresses == ["192.0.2.7"] and served.state == PENDING, served
        assert "PENDING" in served.detail
    finally:
        designate.pdns.start()
    assert _until(lambda: d.get_answer(name, tenant.zone).state == SERVED, timeout=90)
    assert _until(lambda: tenant.query(name) == ["192.0.2.7"])


def test_permanent_refusals_are_not_retryable_errors(tenant):
    d = _driver()
    with pytest.raises(ApplianceRefused, match="HTTP 400"):
        d.set_answer("www.elsewhere.test.", tenant.zone, ["192.0.2.1"], 30)   # outside the zone
    too_many = [f"192.0.2.{i}" for i in range(1, 23)]                        # quota: 20 per set
    with pytest.raises(ApplianceRefused, match="HTTP 413"):
        d.set_answer(f"big.{tenant.zone}", tenant.zone, too_many, 30)
    assert d.max_answers == 20


def test_a_recreated_zone_is_found_again_and_a_deleted_one_removes_quietly(tenant):
    d, name = _driver(), f"www.{tenant.zone}"
    d.set_answer(name, tenant.zone, ["192.0.2.1"], 30)      # zone id cached
    tenant.delete_zone()
    _until(lambda: not [z for z in tenant.conn.dns.zones(name=tenant.zone)], timeout=60)
    d.remove(name, tenant.zone)                              # the zone, and the name, are gone
    tenant.zone_id = tenant.create_zone()
    d.set_answer(name, tenant.zone, ["192.0.2.9"], 30)      # first publish after the recreate
    assert _until(lambda: tenant.query(name) == ["192.0.2.9"])


def test_two_engines_creating_one_new_name_converge(tenant):
    name = f"race.{tenant.zone}"
    drivers = [_driver(), _driver()]
    for drv in drivers:
        drv._zone_id(tenant.zone)                            # both warm: the race is on the create
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def push(drv: DesignateAppliance) -> None:
        barrier.wait()
        try:
            drv.set_answer(name, tenant.zone, ["192.0.2.4"], 30)
        except ApplianceError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(drv,)) for drv in drivers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _until(lambda: tenant.query(name) == ["192.0.2.4"])
