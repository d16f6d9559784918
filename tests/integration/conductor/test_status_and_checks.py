"""Status trees, checks.due and endpoints.set."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from fixtures.conductor import SYSTEM, state

from kosmos.contracts.results import ChecksDue
from kosmos.errors import ValidationError


def _ago(seconds: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat()


def test_status_tree_per_region_with_freshness(build):
    m = build.monitor(delay=10)
    p = build.pool([m])
    up, down = build.member(p), build.member(p)
    build.call("health.write", {
        "states": [{"state": state(up, m["id"], "r1")},
                   {"state": state(up, m["id"], "r2", last_checked_at=_ago(31))},
                   {"state": state(down, m["id"], "r1", verdict="DOWN", last_ok=False,
                                   consecutive_ok=0, consecutive_fail=3,
                                   last_reason="HTTP 503 not in [200]")}],
        "members": [{"member_id": up["id"], "operating_status": "ONLINE",
                     "status_reason": "UP in 1 of 1 fresh regions"},
                    {"member_id": down["id"], "operating_status": "OFFLINE",
                     "status_reason": "DOWN in 1 of 1 fresh regions"}]}, SYSTEM)
    tree = build.call("member.status", {"id": up["id"]})
    assert tree["operating_status"] == "ONLINE"
    assert tree["status_reason"] == "UP in 1 of 1 fresh regions"
    regions = {r["region"]: r for r in tree["regions"]}
    assert regions["r1"]["fresh"] is True and regions["r2"]["fresh"] is False
    assert regions["r1"]["verdict"] == "UP" and regions["r1"]["monitor_id"] == m["id"]

    pool_tree = build.call("pool.status", {"id": p["id"]})
    assert pool_tree["operating_status"] == "DEGRADED"
    assert {t["member"]["id"]: t["operating_status"] for t in pool_tree["members"]} == {
        up["id"]: "ONLINE", down["id"]: "OFFLINE"}
    down_tree = next(t for t in pool_tree["members"] if t["member"]["id"] == down["id"])
    assert down_tree["regions"][0]["last_reason"] == "HTTP 503 not in [200]"

    g = build.gslb([p])
    g_tree = build.call("gslb.status", {"id": g["id"]})
    assert g_tree["operating_status"] == "DEGRADED" and g_tree["publish_status"] == "PENDING"
    assert [x["pool_id"] for x in g_tree["pools"]] == [p["id"]]


def test_status_judges_freshness_where_the_engine_does_while_it_runs_behind(build):
    """The engine recorded a lag of 25 s: it judges at its watermark, 25 s ago, where a
    row checked 31 s ago is fresh (6 s old) and one checked 60 s ago is not. A record
    older than the window says nothing of the engine now: then the clock."""
    m = build.monitor(delay=10)
    p = build.pool([m])
    up = build.member(p)
    build.call("health.write", {"states": [
        {"state": state(up, m["id"], "r1", last_checked_at=_ago(31))},
        {"state": state(up, m["id"], "r2", last_checked_at=_ago(60))}]}, SYSTEM)

    def fresh() -> dict[str, bool]:
        return {r["region"]: r["fresh"] for r in build.call("member.status", {"id": up["id"]})["regions"]}

    assert fresh() == {"r1": False, "r2": False}
    build.call("engine.lag", {"region": "r1", "lag_s": 25.0, "stale_results": 0,
                              "observed_at": _ago(40)}, SYSTEM)
    assert fresh() == {"r1": False, "r2": False}          # recorded 40 s ago: not now
    build.call("engine.lag", {"region": "r1", "lag_s": 25.0, "stale_results": 0,
                              "observed_at": _ago(1)}, SYSTEM)
    assert fresh() == {"r1": True, "r2": False}
    build.call("engine.lag", {"region": "r2", "lag_s": 40.0, "stale_results": 3,
                              "observed_at": _ago(0)}, SYSTEM)
    assert fresh() == {"r1": True, "r2": False}           # the smallest lag is the engine's


def test_pool_without_monitors_is_no_monitor(build):
    p = build.pool([])
    build.member(p)
    tree = build.call("pool.status", {"id": p["id"]})
    assert tree["operating_status"] == "NO_MONITOR"
    assert [t["operating_status"] for t in tree["members"]] == ["NO_MONITOR"]


def test_checks_due_follows_pool_regions(build):
    m1, m2 = build.monitor(type="TCP", port=22), build.monitor(type="HTTP")
    everywhere = build.pool([m1, m2])
    only_r2 = build.pool([m1], regions=["r2"])
    build.pool([])  # no monitor: nothing to check
    a = build.member(everywhere, port=8080)
    b = build.member(only_r2)
    nid = str(uuid.uuid4())
    n = build.member(everywhere, address=None, type="neutron_port", region="r2", neutron_id=nid)

    answer = build.call("checks.due", {"region": "r1"}, SYSTEM)
    # each monitor once, named by its checks
    assert sorted(m["id"] for m in answer["monitors"]) == sorted([m1["id"], m2["id"]])
    r1 = [spec.model_dump(mode="json") for spec in ChecksDue.model_validate(answer).checks]
    assert sorted((c["member_id"], c["monitor"]["id"]) for c in r1) == sorted(
        [(a["id"], m1["id"]), (a["id"], m2["id"]), (n["id"], m1["id"]), (n["id"], m2["id"])])
    spec = next(c for c in r1 if c["member_id"] == a["id"] and c["monitor"]["id"] == m1["id"])
    assert (spec["address"], spec["port"], spec["monitor"]["port"], spec["project_id"]) == (
        a["address"], 8080, 22, "project-a")
    neutron = next(c for c in r1 if c["member_id"] == n["id"])
    assert (neutron["address"], neutron["member_type"], neutron["neutron_id"]) == (
        None, "neutron_port", nid)
    r2 = build.call("checks.due", {"region": "r2"}, SYSTEM)
    assert b["id"] in {c["member_id"] for c in r2["checks"]}
    assert {c["monitor_id"] for c in r2["checks"]} == {m["id"] for m in r2["monitors"]}
    with pytest.raises(ValidationError) as err:
        build.call("checks.due", {"region": "bad region!"}, SYSTEM)
    assert err.value.field == "region"


def test_checks_due_says_unchanged_until_something_it_depends_on_changes(build):
    mon = build.monitor(type="TCP")
    pool = build.pool([mon])
    a = build.member(pool)
    named = build.member(pool, address=None, type="neutron_lbaas_v2", region="r1",
                         neutron_id=str(uuid.uuid4()))
    spare = build.member(pool)

    def due(known=None):
        return build.call("checks.due", {"region": "r1", **({"known": known} if known else {})},
                          SYSTEM)

    first = due()
    fp = first["fingerprint"]
    assert len(first["checks"]) == 3 and due(fp) == {"unchanged": True, "fingerprint": fp}
    # a status change (the engine's) is not something checks.due depends on ...
    build.call("health.write", {"members": [{"member_id": a["id"], "operating_status": "ONLINE",
                                             "status_reason": "up", "expected_version": 1}]},
               SYSTEM)
    assert due(fp)["unchanged"] is True
    # nor is a monitor on no pool (a project making monitors), made or edited
    lone = build.monitor(type="TCP")
    build.call("monitor.update", {"id": lone["id"], "values": {"delay": 30}})
    assert due(fp)["unchanged"] is True
    edits = [
        lambda: build.call("monitor.update", {"id": mon["id"], "values": {"delay": 20}}),
        lambda: build.member(pool),
        lambda: build.call("member.update", {"id": a["id"], "values": {"port": 8443}}),
        lambda: build.call("pool.update", {"id": pool["id"],
                                           "values": {"monitor_ids": [mon["id"], lone["id"]]}}),
        lambda: build.call("monitor.update", {"id": lone["id"], "values": {"delay": 40}}),
        lambda: build.call("member.delete", {"id": spare["id"]}),
        lambda: build.call("endpoints.set", {"updates": [{
            "member_id": named["id"], "endpoints": ["203.0.113.9"], "status": "OK",
            "observed_at": datetime.now(timezone.utc).isoformat()}]}, SYSTEM),
        lambda: build.call("pool.update", {"id": pool["id"], "values": {"regions": ["r2"]}}),
    ]
    for edit in edits:           # ... but each of these is
        edit()
        again = due(fp)
        assert "checks" in again and again["fingerprint"] != fp, edit
        fp = again["fingerprint"]
    assert due(fp)["unchanged"] is True and due("0a1b")["checks"] == []   # pool left r1
    with pytest.raises(ValidationError) as err:
        due("not hex!")
    assert err.value.field == "known"


def test_endpoints_set_writes_only_changes_and_ignores_late_updates(build):
    p = build.pool()
    n = build.member(p, address=None, type="neutron_lbaas_v2", region="r1",
                     neutron_id=str(uuid.uuid4()))
    ip = build.member(p)
    t0 = datetime.now(timezone.utc)

    def upd(endpoints, status="OK", at=t0, member=n):
        return {"member_id": member["id"], "endpoints": endpoints, "status": status,
                "observed_at": at.isoformat()}

    res = build.call("endpoints.set", {"updates": [upd(["203.0.113.7"]), upd(["9.9.9.9"], member=ip),
                                                   upd(["1.1.1.1"], member={"id": str(uuid.uuid4())})]},
                     SYSTEM)
    assert res == {"changed": [n["id"]]}
    got = build.call("member.get", {"id": n["id"]})
    # discovered addresses are derived: the user's version is left alone
    assert (got["endpoints"], got["endpoints_status"], got["version"]) == (["203.0.113.7"], "OK", 1)
    assert build.call("member.get", {"id": ip["id"]})["endpoints"] == [ip["address"]]
    # the same again: no write
    assert build.call("endpoints.set", {"updates": [upd(["203.0.113.7"], at=t0 + timedelta(seconds=5))]},
                      SYSTEM) == {"changed": []}
    # late (older) observation: ignored
    assert build.call("endpoints.set", {"updates": [upd(["198.51.100.1"], at=t0 - timedelta(seconds=60))]},
                      SYSTEM) == {"changed": []}
    # region unreachable: status STALE, addresses kept
    res = build.call("endpoints.set", {"updates": [upd([], "STALE", t0 + timedelta(seconds=10))]}, SYSTEM)
    assert res == {"changed": [n["id"]]}
    got = build.call("member.get", {"id": n["id"]})
    assert (got["endpoints"], got["endpoints_status"], got["version"]) == \
        (["203.0.113.7"], "STALE", 1)
    # so a user's update with the version read before still succeeds
    edited = build.call("member.update", {"id": n["id"], "values": {"weight": 7, "version": 1}})
    assert (edited["weight"], edited["version"], edited["endpoints_status"]) == (7, 2, "STALE")
    checks = build.call("checks.due", {"region": "r1"}, SYSTEM)["checks"]
    assert next(c for c in checks if c["member_id"] == n["id"])["address"] == "203.0.113.7"


def test_stored_pool_and_gslb_status_follow_member_verdicts_without_bumping_versions(build):
    p = build.pool()
    a, b = build.member(p), build.member(p)
    g = build.gslb([p])
    assert build.call("pool.get", {"id": p["id"]})["operating_status"] == "NO_MONITOR"

    def verdicts(va, vb):
        build.call("health.write", {"members": [
            {"member_id": a["id"], "operating_status": va, "status_reason": "r"},
            {"member_id": b["id"], "operating_status": vb, "status_reason": "r"}]}, SYSTEM)

    verdicts("ONLINE", "ONLINE")
    pool, gslb = build.call("pool.get", {"id": p["id"]}), build.call("gslb.get", {"id": g["id"]})
    assert (pool["operating_status"], gslb["operating_status"]) == ("ONLINE", "ONLINE")
    assert (pool["version"], gslb["version"]) == (p["version"], g["version"])
    verdicts("ONLINE", "OFFLINE")
    assert build.call("pool.get", {"id": p["id"]})["operating_status"] == "DEGRADED"
    assert build.call("gslb.get", {"id": g["id"]})["operating_status"] == "DEGRADED"
    # disabling the failed member leaves only healthy enabled members
    build.call("member.update", {"id": b["id"], "values": {"admin_state_up": False}})
    assert build.call("pool.get", {"id": p["id"]})["operating_status"] == "ONLINE"
    build.call("member.delete", {"id": a["id"]})
    assert build.call("pool.get", {"id": p["id"]})["operating_status"] == "OFFLINE"
    assert build.call("gslb.get", {"id": g["id"]})["operating_status"] == "OFFLINE"


def test_a_new_member_moves_the_pool_status_only_when_it_must(build):
    p = build.pool()
    assert build.call("pool.get", {"id": p["id"]})["operating_status"] == "OFFLINE"  # no members
    a = build.member(p)
    assert build.call("pool.get", {"id": p["id"]})["operating_status"] == "NO_MONITOR"
    build.call("health.write", {"members": [
        {"member_id": a["id"], "operating_status": "ONLINE", "status_reason": "r"}]}, SYSTEM)
    assert build.call("pool.get", {"id": p["id"]})["operating_status"] == "ONLINE"
    build.member(p, admin_state_up=False)  # disabled: not counted
    assert build.call("pool.get", {"id": p["id"]})["operating_status"] == "ONLINE"
    build.member(p)  # no verdict yet: the pool is no longer wholly ONLINE
    assert build.call("pool.get", {"id": p["id"]})["operating_status"] == "DEGRADED"


def test_one_write_moving_many_pools_stores_each_its_own_status(build):
    """One health.write moving members of many pools (an endpoint behind many names)
    stores every pool's and GSLB's status, each its own, whatever the others'."""
    pools, members, gslbs = [], [], []
    for _ in range(7):
        p = build.pool()
        pools.append(p)
        members.append((build.member(p), build.member(p)))
        gslbs.append(build.gslb([p]))
    wanted = ["ONLINE", "DEGRADED", "OFFLINE"]
    changes = []
    for i, (a, b) in enumerate(members):
        first, second = {"ONLINE": ("ONLINE", "ONLINE"), "DEGRADED": ("ONLINE", "OFFLINE"),
                         "OFFLINE": ("OFFLINE", "OFFLINE")}[wanted[i % 3]]
        changes += [{"member_id": a["id"], "operating_status": first, "status_reason": "r"},
                    {"member_id": b["id"], "operating_status": second, "status_reason": "r"}]
    build.call("health.write", {"members": changes}, SYSTEM)
    for i, (p, g) in enumerate(zip(pools, gslbs)):
        assert build.call("pool.get", {"id": p["id"]})["operating_status"] == wanted[i % 3]
        assert build.call("gslb.get", {"id": g["id"]})["operating_status"] == wanted[i % 3]
