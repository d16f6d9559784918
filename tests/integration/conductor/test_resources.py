"""CRUD of the four resources through the real conductor, on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid

import pytest
from fixtures.conductor import SYSTEM

from kosmos.errors import Conflict, NotFound, StaleVersion, ValidationError


def test_monitor_crud_roundtrip(build):
    m = build.monitor(type="https", delay=20, timeout=1.5, expected_codes=["200-204", 302],
                      headers={"Host": "a.example"}, payload={"content": "x"}, port=8443,
                      name="web")
    assert (m["type"], m["delay"], m["timeout"], m["expected_codes"]) == (
        "HTTPS", 20, 1.5, ["200-204", 302])
    assert m["payload"] == {"content_type": "application/json", "content": "x"}
    assert m["version"] == 1 and m["project_id"] == "project-a"
    assert build.call("monitor.get", {"id": m["id"]}) == m

    upd = build.call("monitor.update", {"id": m["id"], "values": {"name": "web2", "port": None}})
    assert (upd["name"], upd["port"], upd["version"]) == ("web2", None, 2)
    assert upd["updated_at"] >= m["updated_at"] and upd["created_at"] == m["created_at"]

    assert build.call("monitor.delete", {"id": m["id"]}) is None
    with pytest.raises(NotFound):
        build.call("monitor.get", {"id": m["id"]})
    with pytest.raises(NotFound):
        build.call("monitor.delete", {"id": m["id"]})


def test_update_that_changes_nothing_keeps_the_version(build):
    m = build.monitor(name="same")
    again = build.call("monitor.update", {"id": m["id"], "values": {"name": "same"}})
    assert again["version"] == 1 and again["updated_at"] == m["updated_at"]


def test_update_is_revalidated_against_the_stored_row(build):
    m = build.monitor(delay=10, timeout=5)
    with pytest.raises(ValidationError, match="timeout must be smaller than delay"):
        build.call("monitor.update", {"id": m["id"], "values": {"delay": 4}})
    assert build.call("monitor.get", {"id": m["id"]})["delay"] == 10


def test_stale_version_is_409_and_changes_nothing(build):
    m = build.monitor(name="a")
    build.call("monitor.update", {"id": m["id"], "values": {"name": "b", "version": 1}})
    with pytest.raises(StaleVersion) as err:
        build.call("monitor.update", {"id": m["id"], "values": {"name": "c", "version": 1}})
    assert err.value.code == 409 and err.value.field == "version"
    assert build.call("monitor.get", {"id": m["id"]})["name"] == "b"


def test_create_with_bad_values_names_the_field(build):
    with pytest.raises(ValidationError) as err:
        build.call("monitor.create", {"values": {"type": "HTTP", "delay": 0}})
    assert err.value.field == "delay"
    with pytest.raises(ValidationError) as err:
        build.call("monitor.create", {"values": {"type": "HTTP", "bogus": 1}})
    assert err.value.field == "bogus"
    with pytest.raises(ValidationError) as err:
        build.call("monitor.create", {"values": {"type": "HTTP"}, "id": "not-a-uuid"})
    assert err.value.field == "id"


def test_retried_create_returns_the_stored_row_and_no_duplicate(build):
    rid = str(uuid.uuid4())
    args = {"id": rid, "values": {"type": "TCP", "delay": 5}}
    first = build.call("monitor.create", args)
    second = build.call("monitor.create", args)
    assert first == second
    assert [m["id"] for m in build.call("monitor.list")["items"]] == [rid]
    with pytest.raises(Conflict) as err:
        build.call("monitor.create", {"id": rid, "values": {"type": "TCP", "delay": 6}})
    assert err.value.field == "id"


def test_retried_creates_of_every_kind_are_idempotent(build):
    m = build.monitor()
    pid, mid, gid = (str(uuid.uuid4()) for _ in range(3))
    for _ in range(2):
        build.call("pool.create", {"id": pid, "values": {"monitor_ids": [m["id"]]}})
        build.call("member.create", {"id": mid, "values": {"pool_id": pid, "address": "2001:db8::1"}})
        build.call("gslb.create", {"id": gid, "values": {
            "fqdn": "x.example.com.", "zone_name": "example.com.",
            "pools": [{"pool_id": pid, "priority": 2}]}})
    assert len(build.call("pool.list")["items"]) == 1
    assert len(build.call("member.list")["items"]) == 1
    assert len(build.call("gslb.list")["items"]) == 1


def test_pool_links_monitors_in_order_and_validates_them(build):
    m1, m2 = build.monitor(name="one"), build.monitor(name="two")
    p = build.pool([m2, m1], regions=["r1", "r2"])
    assert p["monitor_ids"] == [m2["id"], m1["id"]] and p["regions"] == ["r1", "r2"]
    assert [m["name"] for m in build.call("pool.monitors", {"id": p["id"]})] == ["two", "one"]
    missing = str(uuid.uuid4())
    with pytest.raises(ValidationError) as err:
        build.call("pool.create", {"values": {"monitor_ids": [m1["id"], missing]}})
    assert err.value.field == "monitor_ids" and missing in err.value.message
    upd = build.call("pool.update", {"id": p["id"], "values": {"monitor_ids": [m1["id"]]}})
    assert upd["monitor_ids"] == [m1["id"]] and upd["version"] == 2
    # m2 is free again: it can go
    build.call("monitor.delete", {"id": m2["id"]})


def _selects(conductor_handler, call):  # noqa: ANN001, ANN202
    """``call()``'s answer and the number of SELECT statements the conductor ran for it."""
    from sqlalchemy import event

    seen: list[str] = []

    def statement(_conn, _cursor, text, *_args) -> None:
        seen.append(text)
    engine = conductor_handler.database.engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        got = call()
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    return got, len([s for s in seen if s.lstrip().upper().startswith("SELECT")])


def test_a_pool_get_reads_it_with_its_monitor_links_in_one_statement(build, conductor_handler):
    """A pool and its ordered monitor links in one statement (a member create reads its
    pool first); the same record as the create answered."""
    p = build.pool([build.monitor(name="one"), build.monitor(name="two")])
    got, selects = _selects(conductor_handler, lambda: build.call("pool.get", {"id": p["id"]}))
    assert got == p and selects == 1


def test_monitor_in_use_cannot_be_deleted(build):
    m = build.monitor()
    build.pool([m])
    with pytest.raises(Conflict, match="used by a pool"):
        build.call("monitor.delete", {"id": m["id"]})
    assert build.call("monitor.get", {"id": m["id"]})["id"] == m["id"]


def test_pool_in_use_cannot_be_deleted_and_deleting_it_takes_its_members(build):
    p = build.pool()
    member = build.member(p)
    g = build.gslb([p])
    with pytest.raises(Conflict, match="used by a GSLB"):
        build.call("pool.delete", {"id": p["id"]})
    build.call("gslb.update", {"id": g["id"], "values": {"pools": []}})
    build.call("pool.delete", {"id": p["id"]})
    with pytest.raises(NotFound):
        build.call("member.get", {"id": member["id"]})


def test_member_types_and_endpoints(build):
    p = build.pool()
    ip = build.member(p, address="2001:DB8::5", port=8080, weight=0)
    assert (ip["address"], ip["endpoints"], ip["endpoints_status"]) == (
        "2001:db8::5", ["2001:db8::5"], "OK")
    assert (ip["port"], ip["weight"], ip["admin_state_up"]) == (8080, 0, True)
    port_id = str(uuid.uuid4())
    nm = build.member(p, address=None, type="neutron_port", region="r1", neutron_id=port_id)
    assert (nm["endpoints"], nm["endpoints_status"], nm["neutron_id"]) == ([], "PENDING", port_id)
    with pytest.raises(ValidationError, match="region is required"):
        build.member(p, address=None, type="neutron_lbaas_v2", neutron_id=port_id)
    moved = build.call("member.update", {"id": ip["id"], "values": {"address": "192.0.2.9"}})
    assert moved["endpoints"] == ["192.0.2.9"]
    assert [m["id"] for m in build.call("member.monitors", {"id": ip["id"]})] == p["monitor_ids"]


def test_member_needs_an_existing_pool(build):
    with pytest.raises(ValidationError) as err:
        build.call("member.create", {"values": {"pool_id": str(uuid.uuid4()), "address": "192.0.2.1"}})
    assert err.value.field == "pool_id"
    with pytest.raises(ValidationError) as err:
        build.call("member.create", {"values": {"address": "192.0.2.1"}})
    assert err.value.field == "pool_id"


def test_gslb_pools_ordered_by_priority_and_validated(build):
    p1, p2, p3 = build.pool(name="a"), build.pool(name="b"), build.pool(name="c")
    g = build.call("gslb.create", {"values": {
        "fqdn": "WWW.Example.com.", "zone_name": "example.com.", "ttl": 60, "all_down": "NONE",
        "pools": [{"pool_id": p1["id"], "priority": 5}, {"pool_id": p2["id"], "priority": 1},
                  {"pool_id": p3["id"], "priority": 5}]}})
    assert g["fqdn"] == "www.example.com." and g["all_down"] == "NONE"
    assert [p["pool_id"] for p in g["pools"]] == [p2["id"], p1["id"], p3["id"]]
    listed = build.call("gslb.pools", {"id": g["id"]})
    assert [(x["pool"]["name"], x["priority"]) for x in listed] == [("b", 1), ("a", 5), ("c", 5)]
    with pytest.raises(ValidationError) as err:
        build.gslb([p1, {"id": str(uuid.uuid4())}])
    assert err.value.field == "pools[1].pool_id"


def test_duplicate_fqdn_is_a_conflict(build):
    build.gslb(fqdn="dup.example.com.")
    with pytest.raises(Conflict) as err:
        build.gslb(fqdn="dup.example.com.")
    assert err.value.field == "fqdn"
    other = build.gslb(fqdn="other.example.com.")
    with pytest.raises(Conflict):
        build.call("gslb.update", {"id": other["id"], "values": {"fqdn": "dup.example.com."}})


def test_deleting_or_renaming_a_gslb_leaves_a_tombstone(build):
    g = build.gslb(fqdn="old.example.com.", appliance="powerdns")
    build.call("gslb.update", {"id": g["id"], "values": {"fqdn": "new.example.com."}})
    stones = build.call("gslb.tombstones", {}, SYSTEM)
    assert [(t["fqdn"], t["gslb_id"], t["appliance"]) for t in stones] == [
        ("old.example.com.", g["id"], "powerdns")]
    build.call("gslb.delete", {"id": g["id"]})
    stones = build.call("gslb.tombstones", {}, SYSTEM)
    assert [t["fqdn"] for t in stones] == ["old.example.com.", "new.example.com."]
    # Taking a tombstoned name again: the new GSLB publishes it, nothing to remove.
    build.gslb(fqdn="old.example.com.")
    assert [t["fqdn"] for t in build.call("gslb.tombstones", {}, SYSTEM)] == ["new.example.com."]


def test_every_kind_get_update_delete_unknown_is_not_found(build):
    missing = str(uuid.uuid4())
    for kind in ("monitor", "pool", "member", "gslb"):
        for op, args in (("get", {"id": missing}), ("delete", {"id": missing}),
                         ("update", {"id": missing, "values": {}})):
            with pytest.raises(NotFound):
                build.call(f"{kind}.{op}", args)
    for op in ("pool.monitors", "member.monitors", "gslb.pools", "member.status",
               "pool.status", "gslb.status"):
        with pytest.raises(NotFound):
            build.call(op, {"id": missing})


def test_create_needs_a_project(build):
    with pytest.raises(ValidationError) as err:
        build.call("monitor.create", {"values": {"type": "HTTP"}}, SYSTEM)
    assert err.value.field == "context.project_id"


def test_a_gslb_get_reads_it_with_its_links_and_timings_in_one_statement(build, conductor_handler):
    """The API's most frequent read: the GSLB, its ordered pool links and its monitors'
    timings (``failover_time``) in one statement; the same record as stored and as a
    list reads it, whatever number of monitors its pools have (none, one or two)."""
    slow = build.monitor(delay=30, max_retries_down=5)
    second, first = build.pool([build.monitor(), slow]), build.pool()
    bare = build.pool([])
    g = build.gslb([first, second, bare])
    build.call("gslb.update", {"id": g["id"], "values": {"pools": [
        {"pool_id": second["id"], "priority": 1}, {"pool_id": bare["id"], "priority": 2},
        {"pool_id": first["id"], "priority": 2}]}})
    got, selects = _selects(conductor_handler, lambda: build.call("gslb.get", {"id": g["id"]}))
    assert selects == 1
    assert [p["pool_id"] for p in got["pools"]] == [second["id"], bare["id"], first["id"]]
    assert got["failover_time"] is not None and got["version"] == 2
    assert got == build.call("gslb.list", {})["items"][0]   # timings read apart there
    # each monitor's timing counts: with the slow one alone the stated failover is later
    build.call("pool.update", {"id": second["id"], "values": {"monitor_ids": [slow["id"]]}})
    later = build.call("gslb.get", {"id": g["id"]})["failover_time"]
    assert later["detect_s"] > got["failover_time"]["detect_s"]
    assert later == build.call("gslb.list", {})["items"][0]["failover_time"]
