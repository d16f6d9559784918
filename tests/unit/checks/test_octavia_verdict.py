from __future__ import annotations

from kosmos.checks.octavia import verdict


def tree(op, prov="ACTIVE", members=("ONLINE",)):
    return {"loadbalancer": {"operating_status": op, "provisioning_status": prov, "listeners": [
        {"pools": [{"members": [{"operating_status": m} for m in members]}]}]}}


def test_online_passes():
    assert verdict(tree("ONLINE", members=("ONLINE", "ONLINE"))) == (
        True, "load balancer ONLINE (2 of 2 members online)")


def test_degraded_still_serves_and_says_how_much():
    assert verdict(tree("DEGRADED", members=("ONLINE", "ERROR", "ERROR"))) == (
        True, "load balancer DEGRADED (1 of 3 members online)")


def test_offline_and_error_fail():
    assert verdict(tree("OFFLINE"))[0] is False
    assert verdict(tree("ERROR", members=("ERROR",))) == (
        False, "load balancer ERROR (0 of 1 members online)")


def test_provisioning_error_fails_even_if_online():
    ok, reason = verdict(tree("ONLINE", prov="ERROR"))
    assert not ok and "provisioning_status ERROR" in reason


def test_no_monitor_passes_only_with_members():
    assert verdict(tree("NO_MONITOR", members=("NO_MONITOR",)))[0] is True
    assert verdict(tree("NO_MONITOR", members=()))[0] is False
