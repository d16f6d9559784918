"""Project isolation: project B never reads or changes project A's rows."""
from __future__ import annotations

import pytest
from fixtures.conductor import P2, SYSTEM, Builder

from kosmos.contracts.conductor import CallContext
from kosmos.errors import NotFound, ValidationError


@pytest.fixture
def world(build):
    m = build.monitor()
    p = build.pool([m])
    member = build.member(p)
    g = build.gslb([p], fqdn="a.example.com.")
    return {"monitor": m, "pool": p, "member": member, "gslb": g}


def test_other_project_gets_not_found_for_every_op(build, world):
    for kind, row in world.items():
        for op, args in (("get", {"id": row["id"]}), ("update", {"id": row["id"], "values": {"name": "x"}}),
                         ("delete", {"id": row["id"]}), ("status", {"id": row["id"]})):
            if op == "status" and kind == "monitor":
                continue
            with pytest.raises(NotFound):
                build.call(f"{kind}.{op}", args, P2)
    for op, kind in (("pool.monitors", "pool"), ("member.monitors", "member"), ("gslb.pools", "gslb")):
        with pytest.raises(NotFound):
            build.call(op, {"id": world[kind]["id"]}, P2)
    # nothing changed for the owner
    for kind, row in world.items():
        got = build.call(f"{kind}.get", {"id": row["id"]})
        assert got["version"] == row["version"] and got["name"] == row["name"]


def test_lists_and_history_show_only_own_rows(build, world):
    b = Builder(build.c, P2)
    b.monitor(name="mine")
    for kind in ("monitor", "pool", "member", "gslb"):
        own = build.call(f"{kind}.list", {}, P2)["items"]
        assert all(r["project_id"] == "project-b" for r in own)
    assert [m["name"] for m in build.call("monitor.list", {}, P2)["items"]] == ["mine"]
    build.call("history.append", {"entries": [{
        "project_id": "project-a", "subject_type": "gslb", "subject_id": world["gslb"]["id"],
        "gslb_id": world["gslb"]["id"], "time": "2026-01-01T00:00:00Z", "to": "x", "reason": "r"}]})
    assert build.call("history.list", {"gslb_id": world["gslb"]["id"]}, P2)["items"] == []
    assert len(build.call("history.list", {"gslb_id": world["gslb"]["id"]})["items"]) == 1
    assert build.call("member.list", {"pool_id": world["pool"]["id"]}, P2)["items"] == []


def test_cannot_reference_another_projects_rows(build, world):
    b = Builder(build.c, P2)
    with pytest.raises(ValidationError) as err:
        b.call("pool.create", {"values": {"monitor_ids": [world["monitor"]["id"]]}})
    assert err.value.field == "monitor_ids"
    with pytest.raises(ValidationError) as err:
        b.member(world["pool"])
    assert err.value.field == "pool_id"
    with pytest.raises(ValidationError) as err:
        b.gslb([world["pool"]])
    assert err.value.field == "pools[0].pool_id"
    with pytest.raises(ValidationError) as err:
        b.call("history.append", {"entries": [{
            "project_id": "project-a", "subject_type": "gslb", "subject_id": "x",
            "time": "2026-01-01T00:00:00Z", "to": "x", "reason": "r"}]})
    assert err.value.field == "entries[0].project_id"


def test_admin_sees_all_projects_only_when_asked(build, world):
    Builder(build.c, P2).monitor()
    admin_own = CallContext(project_id="project-b", is_admin=True, roles=["admin"])
    admin_all = CallContext(project_id="project-b", is_admin=True, all_projects=True)
    assert len(build.call("monitor.list", {}, admin_own)["items"]) == 1
    assert len(build.call("monitor.list", {}, admin_all)["items"]) == 2
    assert len(build.call("monitor.list", {}, SYSTEM)["items"]) == 2
    # an admin may read and change any project's row
    got = build.call("monitor.update", {"id": world["monitor"]["id"], "values": {"name": "by-admin"}},
                     admin_own)
    assert got["project_id"] == "project-a" and got["name"] == "by-admin"


def test_a_call_without_project_is_refused(build, world):
    anonymous = CallContext()
    with pytest.raises(ValidationError) as err:
        build.call("monitor.list", {}, anonymous)
    assert err.value.field == "context.project_id"
    with pytest.raises(ValidationError):
        build.call("monitor.get", {"id": world["monitor"]["id"]}, anonymous)
