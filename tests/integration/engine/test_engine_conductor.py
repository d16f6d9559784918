"""Engine + real conductor + real DNS responder: decide, publish, explain, survive faults."""
from __future__ import annotations

import dns.rcode
import pytest

from kosmos.errors import Unavailable

from .conftest import make_gslb

A1, A2, B1 = "192.0.2.1", "192.0.2.2", "198.51.100.1"
FQDN = "www.example.com."


def members(ids, ok=True, names=("a1", "a2", "b1")):
    return [(ids[n], ids["monitor"], ok) for n in names]


def gslb(rig, ids):
    return rig.call("gslb.get", {"id": ids["gslb"]})


def history(rig, ids):
    return rig.call("history.list", {"gslb_id": ids["gslb"], "limit": 1000})["items"]


def test_publish_failover_and_history(rig):
    ids = make_gslb(rig)
    rig.engine.handle("kosmos.engine.reconcile", {"scope": "all"})
    assert rig.resolve(FQDN) == (dns.rcode.NOERROR, [A1, A2])       # unknown members: fail open
    rig.round(members(ids))
    rig.round(members(ids))
    assert rig.call("member.get", {"id": ids["a1"]})["operating_status"] == "ONLINE"
    # a1 and a2 fail in two regions of three: pool A is out, pool B serves
    bad = [(ids["a1"], ids["monitor"], False), (ids["a2"], ids["monitor"], False)]
    for _ in range(2):
        rig.round(bad, regions=["r1", "r2"])
    assert rig.resolve(FQDN) == (dns.rcode.NOERROR, [B1])
    g = gslb(rig, ids)
    assert g["answers"] == [B1] and g["publish_status"] == "SYNCED"
    entries = history(rig, ids)
    answer_changes = [e for e in entries if e["subject_type"] == "gslb"]
    assert answer_changes[0]["to"] == B1 and answer_changes[0]["from"] == f"{A1},{A2}"
    down = [e for e in entries if e["subject_type"] == "member" and e["to"] == "OFFLINE"]
    assert {e["member_id"] for e in down} == {ids["a1"], ids["a2"]}
    assert all("2 of 3" in e["reason"] for e in down)
    status = rig.call("member.status", {"id": ids["a1"]})
    assert status["operating_status"] == "OFFLINE" and len(status["regions"]) == 3


def test_steady_state_writes_no_history(rig):
    ids = make_gslb(rig)
    rig.round(members(ids))
    rig.round(members(ids))
    before = len(history(rig, ids))
    for step in range(3, 8):
        rig.round(members(ids))
    assert len(history(rig, ids)) == before


def test_same_results_twice_and_late_change_nothing(rig):
    ids = make_gslb(rig)
    rig.round(members(ids))
    rig.round(members(ids))
    at = rig.clock.now
    first = rig.results("r1", members(ids, ok=False, names=("a1",)), at)
    again = rig.results("r1", members(ids, ok=False, names=("a1",)), at)
    late = rig.results("r1", members(ids, ok=False, names=("a1",)), at.replace(year=at.year - 1))
    assert first["written"] >= 1 and again["written"] == 0 and late["written"] == 0
    assert rig.call("member.get", {"id": ids["a1"]})["operating_status"] == "ONLINE"


def test_conductor_down_then_back_no_lost_transition(rig):
    ids = make_gslb(rig)
    rig.round(members(ids))
    rig.round(members(ids))
    rig.round(members(ids, ok=False, names=("a1",)))
    at = rig.clock.now
    rig.transport.down = True
    with pytest.raises(Unavailable):
        rig.results("r1", members(ids, ok=False, names=("a1",)), at)
    rig.transport.down = False
    for region in ("r1", "r1", "r2", "r3"):                       # redelivery, duplicate, the rest
        rig.results(region, members(ids, ok=False, names=("a1",)), at)
    assert rig.call("member.get", {"id": ids["a1"]})["operating_status"] == "OFFLINE"
    assert rig.resolve(FQDN)[1] == [A2]
    moves = [e for e in history(rig, ids) if e["subject_type"] == "member" and e["member_id"] == ids["a1"]]
    assert [(e["from"], e["to"]) for e in moves] == [("ONLINE", "OFFLINE"), ("NO_MONITOR", "ONLINE")]


def test_appliance_down_then_back_converges_in_one_reconcile(rig):
    from kosmos_local.dns import serve
    ids = make_gslb(rig)
    rig.round(members(ids))
    rig.round(members(ids))
    assert rig.resolve(FQDN)[1] == [A1, A2]
    dns_port, control_port = rig.dns.dns_port, rig.dns.control_port
    rig.dns.stop()
    for _ in range(2):
        rig.round(members(ids, ok=False, names=("a1",)))
    g = gslb(rig, ids)
    assert g["publish_status"] == "ERROR" and g["answers"] == [A1, A2]
    assert rig.call("member.get", {"id": ids["a1"]})["operating_status"] == "OFFLINE"
    rig.dns = serve("127.0.0.1", dns_port, control_port, rig.state_path)
    assert rig.resolve(FQDN)[1] == [A1, A2]                      # the old answer survived the restart
    out = rig.engine.handle("kosmos.engine.reconcile", {"scope": "all"})
    assert out["published"] == [ids["gslb"]]
    assert rig.resolve(FQDN)[1] == [A2] and gslb(rig, ids)["publish_status"] == "SYNCED"


def test_reconcile_repairs_drift_and_removes_deleted_names(rig):
    ids = make_gslb(rig)
    other = make_gslb(rig, fqdn="old.example.com.")
    rig.engine.handle("kosmos.engine.reconcile", {"scope": "all"})
    assert rig.resolve("old.example.com.")[1] == [A1, A2]
    rig.dns.store.put(FQDN, "example.com.", ["10.6.6.6"], 30)    # drift behind our back
    rig.call("gslb.delete", {"id": other["gslb"]})
    out = rig.engine.handle("kosmos.engine.reconcile", {"scope": "all"})
    assert out["drift"] == [ids["gslb"]] and out["tombstones_removed"] == 1
    assert rig.resolve(FQDN)[1] == [A1, A2]
    assert rig.resolve("old.example.com.")[0] == dns.rcode.NXDOMAIN
