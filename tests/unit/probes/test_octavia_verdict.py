"""The Octavia verdict decides from the listener on the member's port."""
from __future__ import annotations

from kosmos.probes.octavia import verdict


def listener(port, op="ONLINE", members=("ONLINE",)):
    return {"protocol_port": port, "operating_status": op,
            "pools": [{"members": [{"operating_status": m} for m in members]}]}


def tree(op="ONLINE", *listeners):
    return {"loadbalancer": {"operating_status": op, "listeners": list(listeners)}}


def test_online_listener_passes_and_says_how_many():
    assert verdict(tree("ONLINE", listener(80, members=("ONLINE", "ONLINE"))), 80) == (
        True, "listener on port 80: 2 of 2 members online")


def test_degraded_still_serves():
    ok, reason = verdict(tree("DEGRADED", listener(80, "DEGRADED", ("ONLINE", "ERROR", "ERROR"))), 80)
    assert ok and "1 of 3" in reason


def test_trouble_on_another_listener_does_not_count():
    t = tree("ERROR", listener(80), listener(443, "ERROR", ("ERROR",)))
    ok, reason = verdict(t, 80)
    assert ok and reason.endswith("load balancer ERROR")
    assert verdict(t, 443)[0] is False


def test_every_member_down_behind_an_online_load_balancer_fails():
    assert verdict(tree("ONLINE", listener(80, "ONLINE", ("ERROR", "OFFLINE"))), 80) == (
        False, "listener on port 80: 0 of 2 members online")


def test_no_listener_offline_and_empty_fail():
    assert verdict(tree("ONLINE", listener(80)), 81) == (False, "no listener on port 81")
    assert verdict(tree("OFFLINE", listener(80)), 80) == (False, "load balancer OFFLINE")
    assert verdict(tree("ONLINE", listener(80, "OFFLINE")), 80)[0] is False
    assert verdict(tree("ONLINE", listener(80, members=())), 80) == (
        False, "listener on port 80 has no members")


def test_no_monitor_members_count_as_online():
    assert verdict(tree("ONLINE", listener(80, "ONLINE", ("NO_MONITOR",))), 80)[0] is True
