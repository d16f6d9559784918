"""The engine's operations: health.write, engine.context, gslb.trees, set_answer, tombstones,
and history."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from fixtures.conductor import P2, SYSTEM, Builder, entry, state

from kosmos.contracts.health import HealthState
from kosmos.contracts.resources import Gslb, Member, Monitor, Pool
from kosmos.errors import StaleVersion, ValidationError


@pytest.fixture
def setup(build):
    m = build.monitor()
    p = build.pool([m])
    return build, m, p, build.member(p), build.member(p)


def _states(build, member):
    return build.call("engine.context", {"member_ids": [member["id"]]}, SYSTEM)["states"]


def test_health_write_inserts_then_compare_and_sets(setup):
    build, m, _, a, _ = setup
    res = build.call("health.write", {"states": [{"state": state(a, m["id"])}]}, SYSTEM)
    assert res == {"written": 1}
    [row] = _states(build, a)
    assert (row["verdict"], row["version"], row["project_id"]) == ("UP", 1, "project-a")
    # inserting again (expected_version None) means someone else inserted: stale
    with pytest.raises(StaleVersion):
        build.call("health.write", {"states": [{"state": state(a, m["id"], verdict="DOWN")}]}, SYSTEM)
    build.call("health.write", {"states": [{"state": state(a, m["id"], verdict="DOWN"),
                                            "expected_version": 1}]}, SYSTEM)
    [row] = _states(build, a)
    assert (row["verdict"], row["version"]) == ("DOWN", 2)
    with pytest.raises(StaleVersion):
        build.call("health.write", {"states": [{"state": state(a, m["id"]), "expected_version": 1}]},
                   SYSTEM)
    with pytest.raises(StaleVersion):  # a row that does not exist cannot be at version 3
        build.call("health.write", {"states": [{"state": state(a, m["id"], "r9"),
                                                "expected_version": 3}]}, SYSTEM)
    assert _states(build, a)[0]["verdict"] == "DOWN"


def _when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _beat(build, rows, region="r1", caller=SYSTEM, **override):
    args = {"region": region, "member_ids": [r[0]["id"] for r in rows],
            "monitor_ids": [r[1] for r in rows], "versions": [r[2] for r in rows],
            "checked_at": [r[3] for r in rows], "reasons": ["HTTP 200"] * len(rows),
            "latency_ms": [1.5] * len(rows), **override}
    return build.call("health.heartbeat", args, caller)


def test_heartbeat_rewrites_freshness_only_all_or_nothing(setup):
    build, m, _, a, b = setup
    build.call("health.write", {"states": [{"state": state(a, m["id"], consecutive_ok=2)},
                                           {"state": state(b, m["id"], consecutive_ok=2)}]},
               SYSTEM)
    at = "2026-03-04T05:06:07.120000Z"
    assert _beat(build, [(a, m["id"], 1, at), (b, m["id"], 1, at)]) == {"written": 2}
    [row] = _states(build, a)
    assert (_when(row["last_checked_at"]), row["last_latency_ms"], row["version"]) == (
        _when(at), 1.5, 2)
    assert (row["verdict"], row["consecutive_ok"], row["last_ok"]) == ("UP", 2, True)
    later = "2026-03-04T05:06:27Z"
    with pytest.raises(StaleVersion):   # b is at version 2: neither row is written
        _beat(build, [(a, m["id"], 2, later), (b, m["id"], 1, later)])
    with pytest.raises(StaleVersion):   # no row in r9 (another region) to rewrite
        _beat(build, [(a, m["id"], 2, later)], region="r9")
    with pytest.raises(StaleVersion):   # another project's rows are not the caller's
        _beat(build, [(a, m["id"], 2, later)], caller=P2)
    assert [r["version"] for r in _states(build, a) + _states(build, b)] == [2, 2]
    assert _when(_states(build, a)[0]["last_checked_at"]) == _when(at)
    assert _beat(build, [(a, m["id"], 2, later), (b, m["id"], 2, later)]) == {"written": 2}


@pytest.mark.parametrize("override, field", [
    ({"versions": [1, 1]}, "versions"),
    ({"reasons": ["bad\x00reason"]}, "reasons.0"),
    ({"member_ids": ["x" * 37]}, "member_ids.0"),
    ({"latency_ms": [float("nan")]}, "latency_ms.0"),
    ({"checked_at": ["yesterday"]}, "checked_at.0"),
])
def test_heartbeat_refuses_bad_rows_naming_the_field(setup, override, field):
    build, m, _, a, _ = setup
    build.call("health.write", {"states": [{"state": state(a, m["id"])}]}, SYSTEM)
    with pytest.raises(ValidationError) as err:
        _beat(build, [(a, m["id"], 1, "2026-03-04T05:06:07Z")], **override)
    assert err.value.field == field
    assert _states(build, a)[0]["version"] == 1


def test_heartbeat_refuses_a_row_given_twice(setup):
    build, m, _, a, _ = setup
    build.call("health.write", {"states": [{"state": state(a, m["id"])}]}, SYSTEM)
    at = "2026-03-04T05:06:07Z"
    with pytest.raises(ValidationError) as err:
        _beat(build, [(a, m["id"], 1, at), (a, m["id"], 1, at)])
    assert err.value.field == "member_ids"


def test_states_read_back_exactly_as_written(setup):
    build, m, _, a, _ = setup
    written = state(a, m["id"], last_latency_ms=12.5, last_reason="HTTP 503 not in [200]",
                    verdict="DOWN", last_ok=False, consecutive_ok=0, consecutive_fail=2,
                    last_checked_at="2026-03-04T05:06:07.120000+02:00",
                    verdict_changed_at="2026-03-04T03:06:07Z")
    build.call("health.write", {"states": [{"state": written}]}, SYSTEM)
    [row] = _states(build, a)
    got, sent = HealthState.model_validate(row), HealthState.model_validate({**written, "version": 1})
    assert got == sent
    assert row["last_checked_at"].endswith("Z")


def test_a_stale_row_midway_writes_nothing_at_all(setup):
    build, m, _, a, b = setup
    build.call("health.write", {"states": [{"state": state(b, m["id"])}]}, SYSTEM)
    before_member = build.call("member.get", {"id": a["id"]})
    with pytest.raises(StaleVersion):
        build.call("health.write", {
            "states": [{"state": state(a, m["id"], "r1")}, {"state": state(a, m["id"], "r2")},
                       {"state": state(b, m["id"], verdict="DOWN"), "expected_version": 7}],
            "members": [{"member_id": a["id"], "operating_status": "ONLINE", "status_reason": "x"}],
            "history": [entry(member_id=a["id"], dedupe_key="once")]}, SYSTEM)
    assert _states(build, a) == []
    assert _states(build, b)[0]["verdict"] == "UP"
    assert build.call("member.get", {"id": a["id"]}) == before_member
    assert build.call("history.list", {"member_id": a["id"]})["items"] == []


def test_a_failure_after_rows_were_written_rolls_them_back(setup):
    build, m, _, a, _ = setup
    with pytest.raises(StaleVersion):  # states are written first, then the member misses
        build.call("health.write", {
            "states": [{"state": state(a, m["id"], f"r{i}")} for i in range(50)],
            "members": [{"member_id": a["id"], "operating_status": "ONLINE",
                         "status_reason": "x", "expected_version": 5}]}, SYSTEM)
    with pytest.raises(ValidationError):  # states and member written, then history refused
        build.call("health.write", {
            "states": [{"state": state(a, m["id"], f"r{i}")} for i in range(50)],
            "members": [{"member_id": a["id"], "operating_status": "ONLINE", "status_reason": "x"}],
            "history": [entry(project="project-b")]}, build.ctx)
    assert _states(build, a) == []
    assert build.call("member.get", {"id": a["id"]})["version"] == 1


def test_member_status_change_is_compare_and_set_and_written_only_on_change(setup):
    build, _, _, a, _ = setup
    change = {"member_id": a["id"], "operating_status": "ONLINE", "status_reason": "UP in 2/2",
              "expected_version": 1}
    assert build.call("health.write", {"members": [change]}, SYSTEM) == {"written": 1}
    got = build.call("member.get", {"id": a["id"]})
    # the compare-and-set counter is status_version; the user's version is untouched
    assert (got["operating_status"], got["status_version"], got["version"]) == ("ONLINE", 2, 1)
    assert got["status_changed_at"] is not None
    # the same change again (a redelivery, or another region's batch) is in effect already
    assert build.call("health.write", {"members": [change]}, SYSTEM) == {"written": 0}
    with pytest.raises(StaleVersion):   # from the version before, to another status
        build.call("health.write", {"members": [{**change, "operating_status": "OFFLINE"}]},
                   SYSTEM)
    same = {**change, "expected_version": 2}
    assert build.call("health.write", {"members": [same]}, SYSTEM) == {"written": 0}
    got = build.call("member.get", {"id": a["id"]})
    assert (got["status_version"], got["version"]) == (2, 1)
    with pytest.raises(ValidationError) as err:
        build.call("health.write", {"members": [{**same, "operating_status": "SIDEWAYS"}]}, SYSTEM)
    assert err.value.field == "members[0].operating_status"
    with pytest.raises(ValidationError) as err:
        build.call("health.write", {"members": [same, {**same, "status_reason": "y"}]}, SYSTEM)
    assert err.value.field == "members"


def test_health_for_deleted_members_is_dropped_not_an_error(setup):
    build, m, _, a, b = setup
    build.call("member.delete", {"id": b["id"]})
    res = build.call("health.write", {"states": [{"state": state(a, m["id"])},
                                                 {"state": state(b, m["id"])}]}, SYSTEM)
    assert res == {"written": 1}


def test_duplicate_keys_in_one_write_are_refused(setup):
    build, m, _, a, _ = setup
    with pytest.raises(ValidationError) as err:
        build.call("health.write", {"states": [{"state": state(a, m["id"])},
                                               {"state": state(a, m["id"])}]}, SYSTEM)
    assert err.value.field == "states"


def test_engine_context_gathers_what_a_decision_needs(setup):
    build, m, p, a, b = setup
    g = build.gslb([p])
    build.gslb([])  # unrelated
    build.call("health.write", {"states": [{"state": state(a, m["id"], "r1")},
                                           {"state": state(a, m["id"], "r2")}]}, SYSTEM)
    ctx = build.call("engine.context", {"member_ids": [a["id"], str(uuid.uuid4())]}, SYSTEM)
    assert [x["id"] for x in ctx["members"]] == [a["id"]]
    assert [x["id"] for x in ctx["pools"]] == [p["id"]] and ctx["pools"][0]["monitor_ids"] == [m["id"]]
    assert [x["id"] for x in ctx["monitors"]] == [m["id"]]
    assert [(s["member_id"], s["region"]) for s in ctx["states"]] == [(a["id"], "r1"), (a["id"], "r2")]
    assert [x["id"] for x in ctx["gslbs"]] == [g["id"]]


def test_engine_context_states_only_are_the_members_and_their_rows(setup):
    """The engine's second look: the members and their health rows as a full read has
    them, and nothing else (no pools, monitors or GSLBs); another project's are not seen."""
    build, m, p, a, b = setup
    build.gslb([p])
    build.call("health.write", {"states": [{"state": state(a, m["id"], "r1")},
                                           {"state": state(b, m["id"], "r2")}]}, SYSTEM)
    ids = [b["id"], a["id"], str(uuid.uuid4())]
    full = build.call("engine.context", {"member_ids": ids}, SYSTEM)
    rows = build.call("engine.context", {"member_ids": ids, "states_only": True}, SYSTEM)
    assert rows["members"] == full["members"] and rows["states"] == full["states"]
    assert len(rows["members"]) == 2 and len(rows["states"]) == 2
    assert rows["pools"] == rows["monitors"] == rows["gslbs"] == []
    other = Builder(build.c, P2)
    assert other.call("engine.context", {"member_ids": ids, "states_only": True}) == {
        "members": [], "pools": [], "monitors": [], "states": [], "gslbs": []}


def test_gslb_trees_pages_and_orders_pools(build):
    m = build.monitor()
    p1, p2 = build.pool([m], name="first"), build.pool([m], name="second")
    members = [build.member(p2), build.member(p2)]
    gslbs = [build.call("gslb.create", {"values": {
        "fqdn": f"t{i}.example.com.", "zone_name": "example.com.",
        "pools": [{"pool_id": p2["id"], "priority": 1}, {"pool_id": p1["id"], "priority": 9}]}})
        for i in range(5)]
    seen, marker = [], None
    while True:
        page = build.call("gslb.trees", {"limit": 2, **({"marker": marker} if marker else {})}, SYSTEM)
        seen += page["items"]
        marker = page["next_marker"]
        if not marker:
            break
    assert sorted(t["gslb"]["id"] for t in seen) == sorted(g["id"] for g in gslbs)
    tree = seen[0]
    assert [(x["pool"]["name"], x["priority"]) for x in tree["pools"]] == [("second", 1), ("first", 9)]
    assert [x["id"] for x in tree["pools"][0]["members"]] == [mb["id"] for mb in members]
    only = build.call("gslb.trees", {"gslb_ids": [gslbs[3]["id"]]}, SYSTEM)["items"]
    assert [t["gslb"]["id"] for t in only] == [gslbs[3]["id"]]


def set_answer(build, args: dict) -> dict:
    """One GSLB's answer through ``gslb.set_answers``; the GSLB as stored after it."""
    out = build.call("gslb.set_answers", {"items": [args]}, SYSTEM)
    assert out == {"stored": 1, "missing": [], "superseded": []}
    return build.call("gslb.get", {"id": args["id"]}, SYSTEM)


def test_set_answers_writes_only_changes_with_history(build):
    g = build.gslb([])
    args = {"id": g["id"], "answers": ["192.0.2.1", "192.0.2.2"], "answer_reason": "pool a healthy",
            "publish_status": "SYNCED", "published_at": "2026-01-01T00:00:00Z",
            "history": [entry(gslb_id=g["id"], subject_type="gslb", subject_id=g["id"],
                              dedupe_key=f"{g['id']}/1")]}
    first = set_answer(build, args)
    # The answer is derived: the user's version is untouched.
    assert first["answers"] == ["192.0.2.1", "192.0.2.2"] and first["version"] == g["version"]
    assert first["publish_status"] == "SYNCED" and first["answers_changed_at"]
    again = set_answer(build, args)  # redelivered: no write, no new history
    assert again == first
    assert len(build.call("history.list", {"gslb_id": g["id"]})["items"]) == 1
    held = set_answer(build, {**args, "publish_status": "HELD", "history": []})
    assert held["publish_status"] == "HELD" and held["version"] == g["version"]
    assert held["answers_changed_at"] == first["answers_changed_at"]


def test_set_answers_records_an_outcome_another_instance_stored_first_once(build):
    # Two engine instances deciding from the same read store the same outcome, each with
    # its own cause (its own dedupe key): the second changes nothing and records nothing.
    g = build.gslb([])
    served = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
    base = {"id": g["id"], "answers": served, "answer_reason": "[HEALTHY] ok",
            "publish_status": "SYNCED"}
    set_answer(build, base)

    def item(status: str, reason: str | None, answers: list[str], key: str) -> dict:
        return {**base, "answers": answers, "publish_status": status, "publish_reason": reason,
                "history": [entry(gslb_id=g["id"], subject_type="gslb", subject_id=g["id"],
                                  to=status, reason=key, dedupe_key=key)]}

    def held_entries() -> list:
        return [e for e in build.call("history.list", {"gslb_id": g["id"]})["items"]
                if e["to"] == "HELD"]

    # both tripped the breaker, counting differently: one hold of one answer
    set_answer(build, item("HELD", "circuit breaker: 10 of 12 down; would publish 192.0.2.3",
                           served, "held:a"))
    stored = set_answer(build, item("HELD", "circuit breaker: 11 of 12 down; would publish 192.0.2.3",
                                    served, "held:b"))
    assert len(held_entries()) == 1 and "10 of 12" in stored["publish_reason"]
    # a hold of another answer is another event
    set_answer(build, item("HELD", "circuit breaker: 12 of 12 down; would publish (none)",
                           served, "held:c"))
    assert len(held_entries()) == 2
    # the same answer change stored twice: one entry
    set_answer(build, item("SYNCED", None, ["192.0.2.3"], "change:a"))
    set_answer(build, item("SYNCED", None, ["192.0.2.3"], "change:b"))
    changes = [e for e in build.call("history.list", {"gslb_id": g["id"]})["items"]
               if e["to"] == "SYNCED"]
    assert [e["reason"] for e in changes] == ["change:a"]


def test_a_decision_made_before_a_hold_does_not_release_it(build):
    g = build.gslb([])
    served = {"id": g["id"], "answers": ["192.0.2.1"], "answer_reason": "[HEALTHY] ok"}
    set_answer(build, {**served, "publish_status": "SYNCED"})
    set_answer(build, {**served, "publish_status": "HELD", "decided_from": "SYNCED",
                       "publish_reason": "circuit breaker: 10 of 12 down; would publish (none)"})
    # another instance decided from the row before the hold: its outcome is superseded
    late = {**served, "answer_reason": "[HEALTHY] 1 of 4", "publish_status": "SYNCED",
            "decided_from": "SYNCED"}
    out = build.call("gslb.set_answers", {"items": [late]}, SYSTEM)
    assert out == {"stored": 0, "missing": [], "superseded": [g["id"]]}
    assert build.call("gslb.get", {"id": g["id"]}, SYSTEM)["publish_status"] == "HELD"
    # a decision made knowing of the hold releases it
    released = set_answer(build, {**late, "decided_from": "HELD"})
    assert released["publish_status"] == "SYNCED"


def test_two_instances_holding_the_same_gslbs_at_once_record_each_hold_once(build):
    # The rows are read locked: the second store waits, then sees the first one's hold.
    import threading

    gslbs = [build.gslb([], fqdn=f"held{i}.example.com.") for i in range(40)]
    build.call("gslb.set_answers", {"items": [
        {"id": g["id"], "answers": ["192.0.2.1"], "answer_reason": "[HEALTHY] ok",
         "publish_status": "SYNCED"} for g in gslbs]}, SYSTEM)
    start, errors = threading.Barrier(2), []

    def hold(tag: str, count: int) -> None:
        items = [{"id": g["id"], "answers": ["192.0.2.1"], "answer_reason": "[HEALTHY] ok",
                  "publish_status": "HELD",
                  "publish_reason": f"circuit breaker: {count} of 12 down; would publish (none)",
                  "history": [entry(gslb_id=g["id"], subject_type="gslb", subject_id=g["id"],
                                    to="HELD", dedupe_key=f"held:{g['id']}:{tag}")]}
                 for g in gslbs]
        start.wait()
        try:
            build.call("gslb.set_answers", {"items": items}, SYSTEM)
        except Exception as exc:   # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=hold, args=(tag, n)) for tag, n in (("a", 10), ("b", 11))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    for g in gslbs:
        held = [e for e in build.call("history.list", {"gslb_id": g["id"]})["items"]
                if e["to"] == "HELD"]
        assert len(held) == 1, g["fqdn"]


def test_set_answers_stores_many_in_one_call_and_names_the_deleted(build):
    gslbs = [build.gslb([], fqdn=f"n{i}.example.com.") for i in range(30)]
    gone = gslbs.pop()
    build.call("gslb.delete", {"id": gone["id"]})
    items = [{"id": g["id"], "answers": [f"192.0.2.{i + 1}"], "answer_reason": "[HEALTHY] ok",
              "publish_status": "SYNCED",
              "history": [entry(gslb_id=g["id"], subject_type="gslb", subject_id=g["id"],
                                dedupe_key=f"{g['id']}/many")]}
             for i, g in enumerate([*gslbs, gone])]
    out = build.call("gslb.set_answers", {"items": items}, SYSTEM)
    assert out == {"stored": 29, "missing": [gone["id"]], "superseded": []}
    for i, g in enumerate(gslbs):
        assert build.call("gslb.get", {"id": g["id"]}, SYSTEM)["answers"] == [f"192.0.2.{i + 1}"]
        assert len(build.call("history.list", {"gslb_id": g["id"]})["items"]) == 1
    # items writing different columns in one call: each row gets its own
    mixed = [{**items[i], "history": [], **({"answers": [f"198.51.100.{i + 1}"]} if i % 2 else
                                            {"publish_status": "ERROR", "publish_reason": "down"})}
             for i in range(len(gslbs))]
    assert build.call("gslb.set_answers", {"items": mixed}, SYSTEM)["stored"] == 29
    for i, g in enumerate(gslbs):
        got = build.call("gslb.get", {"id": g["id"]}, SYSTEM)
        assert (got["answers"], got["publish_status"], got["publish_reason"]) == (
            ([f"198.51.100.{i + 1}"], "SYNCED", None) if i % 2 else
            ([f"192.0.2.{i + 1}"], "ERROR", "down"))
    build.call("gslb.set_answers", {"items": items[:-1]}, SYSTEM)   # as before
    with pytest.raises(ValidationError) as err:   # a bad item stores nothing
        build.call("gslb.set_answers", {"items": [{**items[0], "answers": ["192.0.2.99"]},
                                                  {**items[1], "publish_status": "MAYBE"}]}, SYSTEM)
    assert "items" in (err.value.field or "")
    assert build.call("gslb.get", {"id": gslbs[0]["id"]}, SYSTEM)["answers"] == ["192.0.2.1"]


def test_a_user_update_is_not_refused_because_the_answer_changed(build):
    g = build.gslb([])
    set_answer(build, {"id": g["id"], "answers": ["192.0.2.9"], "answer_reason": "r",
                       "publish_status": "SYNCED", "history": []})
    updated = build.call("gslb.update", {"id": g["id"], "values": {"ttl": 60,
                                                                  "version": g["version"]}})
    assert updated["ttl"] == 60 and updated["version"] == g["version"] + 1
    assert updated["answers"] == ["192.0.2.9"]
    with pytest.raises(StaleVersion):
        build.call("gslb.update", {"id": g["id"], "values": {"ttl": 61, "version": g["version"]}})


def test_tombstones_ack_is_idempotent(build):
    gs = [build.gslb([]) for _ in range(3)]
    for g in gs:
        build.call("gslb.delete", {"id": g["id"]})
    stones = build.call("gslb.tombstones", {"limit": 2}, SYSTEM)
    assert [t["gslb_id"] for t in stones] == [gs[0]["id"], gs[1]["id"]]
    ids = [t["id"] for t in stones]
    assert build.call("gslb.tombstones.ack", {"ids": ids}, SYSTEM) == {"acked": 2}
    assert build.call("gslb.tombstones.ack", {"ids": ids}, SYSTEM) == {"acked": 0}
    assert [t["gslb_id"] for t in build.call("gslb.tombstones", {}, SYSTEM)] == [gs[2]["id"]]


def test_history_append_dedupes_and_lists_newest_first_with_filters(build):
    rows = [entry(member_id="m1", time=f"2026-01-01T00:00:{i:02d}Z", to=f"s{i}",
                  dedupe_key=f"k{i}") for i in range(7)]
    assert build.call("history.append", {"entries": rows}) == {"appended": 7}
    assert build.call("history.append", {"entries": rows[:3]}) == {"appended": 0}
    page = build.call("history.list", {"member_id": "m1", "limit": 3})
    assert [e["to"] for e in page["items"]] == ["s6", "s5", "s4"]
    assert page["items"][0]["from"] == "OFFLINE" and page["items"][0]["reason"] == "rule"
    page2 = build.call("history.list", {"member_id": "m1", "limit": 3, "marker": page["next_marker"]})
    assert [e["to"] for e in page2["items"]] == ["s3", "s2", "s1"]
    window = build.call("history.list", {"since": "2026-01-01T00:00:02Z",
                                         "until": "2026-01-01T00:00:04Z"})
    assert [e["to"] for e in window["items"]] == ["s4", "s3", "s2"]
    # entries without a dedupe key are all kept
    assert build.call("history.append", {"entries": [entry(), entry()]}) == {"appended": 2}
    with pytest.raises(ValidationError) as err:
        build.call("history.append", {"entries": [{**entry(), "to": None}]})
    assert err.value.field.startswith("entries.0")


def test_engine_context_members_are_the_member_records(setup):
    """engine.context reads members without the ORM; its records equal member.get's."""
    build, m, p, a, b = setup
    build.call("health.write", {"members": [{"member_id": a["id"], "operating_status": "ERROR",
                                             "status_reason": "down in r1, r2"}]}, SYSTEM)
    build.call("member.update", {"id": b["id"], "values": {"weight": 0, "admin_state_up": False}})
    ctx = build.call("engine.context", {"member_ids": [b["id"], a["id"], a["id"]]}, SYSTEM)
    expected = sorted((build.call("member.get", {"id": x["id"]}) for x in (a, b)),
                      key=lambda r: r["id"])
    assert [Member.model_validate(x) for x in ctx["members"]] == \
        [Member.model_validate(x) for x in expected]
    assert ctx["members"][[x["id"] for x in expected].index(a["id"])]["status_changed_at"]


def test_engine_context_keeps_to_the_callers_project(setup):
    build, m, p, a, _ = setup
    other = Builder(build.c, P2)
    mine = other.member(other.pool([other.monitor()]))
    ids = [a["id"], mine["id"]]

    def seen(builder, ctx=None):
        return [x["id"] for x in builder.call("engine.context", {"member_ids": ids}, ctx)["members"]]
    assert seen(build) == [a["id"]]
    assert seen(other) == [mine["id"]]
    assert sorted(seen(build, SYSTEM)) == sorted(ids)


def test_engine_context_reads_more_members_than_one_chunk(build):
    m = build.monitor()
    p = build.pool([m])
    made = [build.member(p, address=f"198.51.100.{i % 250 + 1}", port=1000 + i)
            for i in range(905)]
    build.call("health.write", {"states": [{"state": state(x, m["id"])} for x in made]}, SYSTEM)
    ctx = build.call("engine.context", {"member_ids": [x["id"] for x in made]}, SYSTEM)
    assert [x["id"] for x in ctx["members"]] == sorted(x["id"] for x in made)
    assert [s["member_id"] for s in ctx["states"]] == sorted(x["id"] for x in made)


def test_engine_context_records_equal_the_get_records(build):
    """pools, monitors and GSLBs are read without the ORM too; they equal the *.get records."""
    m1 = build.monitor(headers={"X-A": "1"}, expected_codes=[200, "300-302"])
    m2 = build.monitor(type="TCP", delay=5, timeout=1.5, max_retries=1)
    p1 = build.pool([m2, m1], regions=["r1", "r2"])
    p2 = build.pool([m1])
    a, b = build.member(p1), build.member(p2)
    g1 = build.gslb([p1, p2], all_down="NONE", ttl=60)
    g2 = build.call("gslb.create", {"values": {
        "fqdn": "other.example.com.", "zone_name": "example.com.",
        "pools": [{"pool_id": p2["id"], "priority": 1}, {"pool_id": p1["id"], "priority": 5}]}})
    set_answer(build, {"id": g1["id"], "answers": ["192.0.2.7"],
                       "publish_status": "SYNCED", "answer_reason": "[HEALTHY] ok",
                       "published_at": "2026-03-04T05:06:07Z"})
    ctx = build.call("engine.context", {"member_ids": [a["id"], b["id"]]}, SYSTEM)
    for key, model, op, made in (("pools", Pool, "pool.get", [p1, p2]),
                                 ("monitors", Monitor, "monitor.get", [m1, m2]),
                                 ("gslbs", Gslb, "gslb.get", [g1, g2])):
        # failover_time is stated to users; the engine's reads leave it out
        expected = sorted(({**build.call(op, {"id": x["id"]}), "failover_time": None} for x in made),
                          key=lambda r: r["id"])
        assert [model.model_validate(x) for x in ctx[key]] == \
            [model.model_validate(x) for x in expected], key
    pool = {p["id"]: p for p in ctx["pools"]}[p1["id"]]
    assert pool["monitor_ids"] == [m2["id"], m1["id"]]
    gslb = {g["id"]: g for g in ctx["gslbs"]}[g2["id"]]
    assert [x["pool_id"] for x in gslb["pools"]] == [p2["id"], p1["id"]]


def test_gslb_trees_records_equal_the_get_records(build):
    m1, m2 = build.monitor(), build.monitor(type="TCP")
    p1, p2 = build.pool([m2, m1], regions=["r1"]), build.pool([m1])
    members = [build.member(p1), build.member(p1, weight=0), build.member(p2)]
    g = build.gslb([p2, p1], all_down="LAST_KNOWN")
    set_answer(build, {"id": g["id"], "answers": ["192.0.2.9"], "publish_status": "SYNCED"})
    [tree] = build.call("gslb.trees", {"gslb_ids": [g["id"]]}, SYSTEM)["items"]
    assert Gslb.model_validate(tree["gslb"]) == Gslb.model_validate(
        {**build.call("gslb.get", {"id": g["id"]}), "failover_time": None})
    assert [(Pool.model_validate(x["pool"]), x["priority"]) for x in tree["pools"]] == [
        (Pool.model_validate(build.call("pool.get", {"id": p["id"]})), i + 1)
        for i, p in enumerate([p2, p1])]
    got = [[Member.model_validate(x) for x in tp["members"]] for tp in tree["pools"]]
    assert got == [[Member.model_validate(build.call("member.get", {"id": x["id"]}))
                    for x in group] for group in (members[2:], members[:2])]


def test_gslb_trees_keep_to_the_callers_project(build):
    mine = build.gslb([build.pool()])
    other = Builder(build.c, P2)
    theirs = other.gslb([other.pool()], fqdn="theirs.example.com.")
    ids = [mine["id"], theirs["id"]]
    assert [t["gslb"]["id"] for t in build.call("gslb.trees", {"gslb_ids": ids})["items"]] == \
        [mine["id"]]
    assert sorted(t["gslb"]["id"] for t in build.call(
        "gslb.trees", {"gslb_ids": ids}, SYSTEM)["items"]) == sorted(ids)


def test_a_users_update_with_the_version_read_before_a_status_change_succeeds(setup):
    build, _, _, a, _ = setup
    read = build.call("member.get", {"id": a["id"]})
    change = {"member_id": a["id"], "operating_status": "OFFLINE", "status_reason": "DOWN in 2/2",
              "expected_version": read["status_version"]}
    assert build.call("health.write", {"members": [change]}, SYSTEM) == {"written": 1}
    got = build.call("member.update", {"id": a["id"],
                                       "values": {"weight": 9, "version": read["version"]}})
    assert (got["weight"], got["version"]) == (9, read["version"] + 1)
    # the user's write leaves the engine's counter and the derived status alone
    assert (got["operating_status"], got["status_version"]) == \
        ("OFFLINE", read["status_version"] + 1)
    ctx_member = build.call("engine.context", {"member_ids": [a["id"]]}, SYSTEM)["members"][0]
    assert ctx_member["status_version"] == read["status_version"] + 1
    # the engine's compare-and-set still holds on status_version
    with pytest.raises(StaleVersion):
        build.call("health.write", {"members": [{**change, "operating_status": "ONLINE"}]}, SYSTEM)
    # and a stale user version is still refused
    with pytest.raises(StaleVersion):
        build.call("member.update", {"id": a["id"],
                                     "values": {"weight": 3, "version": read["version"]}})


def test_engine_lag_keeps_each_regions_newest_record_and_shows_in_gslb_status(setup):
    build, _, p, _, _ = setup
    g = build.gslb([p])
    rec = {"region": "RegionOne", "lag_s": 7.25, "stale_results": 2,
           "observed_at": "2026-12-01T10:00:05Z"}
    assert build.call("engine.lag", rec, SYSTEM) == {"recorded": True}
    assert build.call("engine.lag", {**rec, "region": "RegionTwo", "lag_s": 0.5,
                                     "stale_results": 0}, SYSTEM) == {"recorded": True}
    late = {**rec, "lag_s": 1.0, "observed_at": "2026-12-01T10:00:01Z"}   # an older record
    assert build.call("engine.lag", late, SYSTEM) == {"recorded": False}
    newer = {**rec, "lag_s": 0.75, "stale_results": 0, "observed_at": "2026-12-01T10:00:09Z"}
    assert build.call("engine.lag", newer, SYSTEM) == {"recorded": True}
    tree = build.call("gslb.status", {"id": g["id"]})
    assert tree["engine_lag"] == [
        {"region": "RegionOne", "lag_s": 0.75, "stale_results": 0,
         "observed_at": "2026-12-01T10:00:09Z"},
        {"region": "RegionTwo", "lag_s": 0.5, "stale_results": 0,
         "observed_at": "2026-12-01T10:00:05Z"}]


@pytest.mark.parametrize("bad, field", [
    ({"region": "Region\x00One"}, "region"), ({"region": ""}, "region"),
    ({"lag_s": -1}, "lag_s"), ({"lag_s": "soon"}, "lag_s"), ({"stale_results": -3}, "stale_results"),
    ({"observed_at": "yesterday"}, "observed_at")])
def test_engine_lag_refuses_bad_records_naming_the_field(setup, bad, field):
    build = setup[0]
    rec = {"region": "RegionOne", "lag_s": 1.0, "stale_results": 0,
           "observed_at": "2026-12-01T10:00:05Z", **bad}
    with pytest.raises(ValidationError) as err:
        build.call("engine.lag", rec, SYSTEM)
    assert field in str(err.value.to_wire())


def test_a_gslb_states_its_failover_time_from_its_monitors_regions_appliance_and_ttl(build):
    from kosmos.config import get_settings

    s = get_settings()
    slow, fast = build.monitor(delay=10, timeout=2, max_retries_down=3), \
        build.monitor(delay=2, timeout=1, max_retries_down=2)
    bare = build.gslb([], fqdn="bare.example.com.")
    assert build.call("gslb.get", {"id": bare["id"]})["failover_time"] is None
    g = build.gslb([build.pool([slow, fast]), build.pool([slow])], ttl=60)
    ft = build.call("gslb.get", {"id": g["id"]})["failover_time"]
    r = len(s.regions)
    needed = min(r, int(r * s.quorum) + 1)
    plain = needed * 10 / r + 2 * 10 + 2                       # the pool with only the slow one
    rechecked = 10 / r + 2 + s.results_interval + 1.0 + 3 * 1.0 + 2   # recheck_delay 1 s
    detect = min(plain, rechecked) if s.recheck else plain
    assert ft["detect_s"] == pytest.approx(detect, abs=0.01) and ft["ttl_s"] == 60
    assert ft["worst_case_s"] == pytest.approx(
        ft["detect_s"] + ft["decide_s"] + ft["publish_s"] + 60, abs=0.02)
    assert build.call("gslb.list", {})["items"][-1]["failover_time"] == ft
    assert build.call("gslb.status", {"id": g["id"]})["failover_time"] == ft
    faster = build.call("gslb.update", {"id": g["id"], "values": {"ttl": 5}})["failover_time"]
    assert faster["worst_case_s"] == pytest.approx(ft["worst_case_s"] - 55, abs=0.02)


@pytest.mark.postgres
def test_engine_instances_storing_overlapping_answers_at_once_never_deadlock(_pg_session_db):
    """Two instances store the same GSLBs' answers in opposite orders, again and again:
    rows are locked in id order, so one waits for the other; none is undone. (PostgreSQL's
    row locks; SQLite has one writer at a time.)"""
    import threading

    from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
    from kosmos.conductor.app import build_handler

    handler = build_handler(_pg_session_db, auto_migrate=False)
    build = Builder(ConductorClient(InProcessTransport(handler)))
    run = uuid.uuid4().hex[:8]   # the session's database keeps other tests' GSLBs
    gslbs = [build.gslb([], fqdn=f"lock{run}-{i}.example.com.") for i in range(60)]
    errors: list[Exception] = []
    start = threading.Barrier(2)

    def store(order: list[dict], tag: str) -> None:
        start.wait()
        for n in range(8):
            items = [{"id": g["id"], "answers": [f"192.0.2.{n + 1}"], "answer_reason": tag,
                      "publish_status": "SYNCED"} for g in order]
            try:
                build.call("gslb.set_answers", {"items": items}, SYSTEM)
            except Exception as exc:   # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=store, args=(gslbs, "up")),
               threading.Thread(target=store, args=(gslbs[::-1], "down"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    handler.database.dispose()
    assert errors == []


@pytest.mark.postgres
def test_a_deadlocks_victim_is_told_as_a_transaction_to_run_again(_pg_session_db):
    """Two transactions locking two rows in opposite orders: PostgreSQL undoes one, and
    the conductor reads that as TransactionUndone (run again), not as an internal error."""
    import threading

    from sqlalchemy import text

    from kosmos.conductor.db.engine import TransactionUndone, make_engine, translated_errors

    engine = make_engine(_pg_session_db)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS deadlock_probe (id int primary key, v int)"))
        conn.execute(text("DELETE FROM deadlock_probe"))
        conn.execute(text("INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)"))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def lock(first: int, second: int) -> None:
        try:
            with translated_errors(), engine.begin() as conn:
                conn.execute(text("UPDATE deadlock_probe SET v = v + 1 WHERE id = :i"), {"i": first})
                start.wait()
                conn.execute(text("UPDATE deadlock_probe SET v = v + 1 WHERE id = :i"), {"i": second})
            outcomes.append("committed")
        except TransactionUndone:
            outcomes.append("undone")

    try:
        threads = [threading.Thread(target=lock, args=(1, 2)), threading.Thread(target=lock, args=(2, 1))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(outcomes) == ["committed", "undone"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE deadlock_probe"))
        engine.dispose()


def test_breaker_view_names_only_the_changed_monitors_a_verdict_can_name(build):
    """Monitors changed lately: those of members down and those the caller names; the
    others (a project making many) are not read at every cycle."""
    down_mon, moved_mon, other_mon = build.monitor(), build.monitor(), build.monitor()
    member = build.member(build.pool([down_mon]))
    build.member(build.pool([moved_mon]))   # the pool of a member this cycle moves
    build.call("health.write", {"members": [{"member_id": member["id"], "operating_status": "OFFLINE",
                                             "status_reason": "DOWN in 2/2",
                                             "expected_version": 1}]}, SYSTEM)
    view = build.call("breaker.view", {"monitor_ids": [moved_mon["id"]]}, SYSTEM)
    assert [d["member_id"] for d in view["down"]] == [member["id"]]
    assert set(view["monitors_changed"]) == {down_mon["id"], moved_mon["id"]}
    everything = build.call("breaker.view", {}, SYSTEM)   # a caller naming none: all, as before
    assert {down_mon["id"], moved_mon["id"], other_mon["id"]} <= set(everything["monitors_changed"])
    quiet = build.call("breaker.view", {"monitor_ids": [], "monitors_window": 0}, SYSTEM)
    assert quiet["monitors_changed"] == {}


def test_breaker_summary_bounds_the_distinct_endpoints_down(build):
    """Members down behind one endpoint count once: the engine needs no full view for
    one endpoint dying behind many names."""
    pool = build.pool()
    shared = [build.member(pool, address="198.51.100.7", port=443) for _ in range(5)]
    other = build.member(pool, address="198.51.100.8", port=443)
    up = build.member(pool, address="198.51.100.9", port=443)
    build.call("health.write", {"members": [
        {"member_id": m["id"], "operating_status": "OFFLINE", "status_reason": "DOWN in 2/2",
         "expected_version": 1} for m in [*shared, other]]}, SYSTEM)
    summary = build.call("breaker.view", {"summary": True}, SYSTEM)
    assert summary["offline_members"] == 6 and summary["endpoints_bound"] == 2
    full = build.call("breaker.view", {}, SYSTEM)
    assert len(full["down"]) == 6 and up["id"] not in {d["member_id"] for d in full["down"]}


def test_breaker_summary_counts_what_the_full_view_lists(build):
    """The summary's counts, suspects included, are those of the full view: members down
    (three behind one endpoint), suspects failing in two regions, not one failing in one."""
    monitor = build.monitor()
    pool = build.pool([monitor])
    down = [build.member(pool, address="198.51.100.7", port=443) for _ in range(3)]
    suspects = [build.member(pool, address=f"198.51.100.{20 + i}", port=443) for i in range(2)]
    once = build.member(pool, address="198.51.100.30", port=443)
    build.member(pool, address="198.51.100.31", port=443)   # up
    build.call("health.write", {"members": [
        {"member_id": m["id"], "operating_status": "OFFLINE", "status_reason": "DOWN in 2/2",
         "expected_version": 1} for m in down]}, SYSTEM)
    failing = {"verdict": "UP", "last_ok": False, "last_reason": "refused",
               "consecutive_ok": 0, "consecutive_fail": 1}
    build.call("health.write", {"states": [
        {"state": state(m, monitor["id"], region, **failing)}
        for m, regions in [(suspects[0], ("r1", "r2")), (suspects[1], ("r1", "r2", "r3")),
                           (once, ("r2",))] for region in regions]}, SYSTEM)
    args = {"suspect_regions": 2, "suspect_window": 60}
    summary = build.call("breaker.view", {**args, "summary": True}, SYSTEM)
    full = build.call("breaker.view", args, SYSTEM)
    assert {d["member_id"] for d in full["down"]} == {m["id"] for m in down}
    assert {d["member_id"] for d in full["suspect"]} == {m["id"] for m in suspects}
    assert summary == {"offline_members": 3, "suspect_members": 2, "held_count": 0,
                       "endpoints_bound": 3}
