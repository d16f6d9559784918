"""Drivers load by entry-point name; the noop driver is a real one."""
from __future__ import annotations

import pytest

from kosmos.appliances.base import Appliance, Served
from kosmos.appliances.registry import Appliances, available, load
from kosmos.config import Settings
from kosmos.errors import ApplianceError


def test_builtin_drivers_are_registered():
    assert {"designate", "powerdns", "local", "noop"} <= set(available())
    for name in ("designate", "powerdns", "local", "noop"):
        drv = load(name, Settings())           # constructing connects to nothing
        assert isinstance(drv, Appliance) and drv.name == name


def test_unknown_driver_is_a_clear_error():
    with pytest.raises(ApplianceError) as err:
        load("bind9", Settings())
    assert "bind9" in str(err.value) and "powerdns" in str(err.value)


def test_appliances_reuse_instances_and_default():
    apps = Appliances(Settings(appliance="noop"))
    assert apps.get() is apps.get("noop")
    assert apps.get("noop").name == "noop"


def test_noop_is_idempotent_and_reads_back():
    drv = load("noop", Settings())
    drv.set_answer("a.example.com.", "example.com.", ["192.0.2.2", "192.0.2.1"], 30)
    drv.set_answer("a.example.com.", "example.com.", ["192.0.2.1", "192.0.2.2"], 30)
    assert drv.get_answer("a.example.com.", "example.com.") == Served(["192.0.2.1", "192.0.2.2"], 30)
    assert drv.get_answer("a.example.com.", "example.com.").matches(["192.0.2.2", "192.0.2.1"], 30)
    assert not drv.get_answer("a.example.com.", "example.com.").matches(["192.0.2.1"], 30)
    drv.remove("a.example.com.", "example.com.")
    drv.remove("a.example.com.", "example.com.")
    assert drv.get_answer("a.example.com.", "example.com.") == Served()
    assert Served().matches([], 30)
