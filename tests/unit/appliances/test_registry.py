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


DRIVER = '''
from kosmos.appliances.impl_noop import NoopAppliance

class ShelfAppliance(NoopAppliance):
    name = "shelf"
    routing = ("PRIORITY",)
    max_answers = 2
'''


def test_a_driver_installed_on_the_import_path_is_found(tmp_path, monkeypatch):
    """A deployer's driver: found once its distribution is on the path, and its limits are
    the ones a GSLB create checks."""
    from kosmos.appliances.registry import unservable

    assert "shelf" not in available()
    (tmp_path / "kosmos_shelf_driver.py").write_text(DRIVER)
    info = tmp_path / "kosmos_shelf_driver-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kosmos-shelf-driver\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[kosmos.appliances]\nshelf = kosmos_shelf_driver:ShelfAppliance\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "shelf" in available() and load("shelf", Settings()).name == "shelf"
    assert unservable("shelf", "WEIGHTED", None, Settings())[0] == "routing"
    assert unservable("shelf", "PRIORITY", 3, Settings())[0] == "max_answers"
    assert unservable("shelf", "PRIORITY", 2, Settings()) is None


def test_installed_drivers_are_read_from_disk_once_per_import_path(monkeypatch):
    """A GSLB create checks its driver's limits: the installed distributions' metadata is
    not read again for each one (it was a third of a create's time)."""
    import kosmos.contracts.plugins as plugins

    scans = []
    real = plugins.entry_points
    monkeypatch.setattr(plugins, "entry_points", lambda **kw: scans.append(kw) or real(**kw))
    plugins._scan.cache_clear()
    for _ in range(50):
        load("noop", Settings())
        available()
    assert scans == [{"group": "kosmos.appliances"}]
