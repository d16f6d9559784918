"""The results handler end to end over the in-memory conductor and the noop-like driver."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from kosmos.engine.row_locks import RowLocks
from kosmos.errors import ValidationError

from .conftest import REGIONS
from .fakes import T0, Clock, FakeGateway, batch, make_engine

A1, A2, B1 = "192.0.2.1", "192.0.2.2", "198.51.100.1"


def t(s: float):
    return T0 + timedelta(seconds=s)


def all_regions(engine, clock, items, at):
    clock.now = at + timedelta(seconds=1)
    for r in REGIONS:
        engine.handle("kosmos.check.results", batch(r, items))


def bring_online(engine, clock, members=("a1", "a2", "b1")):
    for s in (0, 10):
        all_regions(engine, clock, [(m, True, t(s)) for m in members], t(s))


def served(appliance):
    return appliance.get_answer("www.example.com.", "example.com.").addresses


def test_members_go_online_after_rise_in_every_region(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    assert {m.operating_status.value for m in gw.members.values()} == {"ONLINE"}
    moves = gw.entries("member")
    assert len(moves) == 3 and {(e.from_state, e.to_state) for e in moves} == {("NO_MONITOR", "ONLINE")}
    assert len(gw.entries("health")) == 9                       # 3 members × 3 regions went UP
    assert gw.gslbs["g1"].answers == [A1, A2] and served(app) == [A1, A2]
    assert gw.gslbs["g1"].publish_status.value == "SYNCED"


def test_one_region_cannot_pull_a_member_but_a_majority_can(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    for s in (20, 30):
        clock.now = t(s + 1)
        engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(s))]))
    assert gw.members["a1"].operating_status.value == "ONLINE"
    assert served(app) == [A1, A2]
    for s in (20, 30):
        engine.handle("kosmos.check.results", batch("r2", [("a1", False, t(s))]))
    assert gw.members["a1"].operating_status.value == "OFFLINE"
    assert gw.gslbs["g1"].answers == [A2] and served(app) == [A2]
    change = gw.entries("gslb")[-1]
    assert (change.from_state, change.to_state) == (f"{A1},{A2}", A2)
    assert change.evidence["member_moves"] == [{"member_id": "a1", "from": "ONLINE", "to": "OFFLINE"}]
    member = [e for e in gw.entries("member") if e.member_id == "a1"][-1]
    assert "2 of 3" in member.reason and member.evidence["results"][-1]["reason"] == "connection refused"
    assert member.time == t(30)


def test_failover_to_next_pool_and_fail_open(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    for s in (20, 30):
        all_regions(engine, clock, [("a1", False, t(s)), ("a2", False, t(s))], t(s))
    assert served(app) == [B1]
    for s in (40, 50):
        all_regions(engine, clock, [("b1", False, t(s))], t(s))
    assert served(app) == [A1, A2, B1]                          # all_down ALL: fail open
    assert gw.gslbs["g1"].answer_reason.startswith("[all_down:ALL]")


def test_duplicates_and_late_batches_write_nothing(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    data = batch("r1", [("a1", False, t(20))], batch_id="b-20")
    engine.handle("kosmos.check.results", data)
    writes, history = gw.health_writes, len(gw.history)
    engine.handle("kosmos.check.results", data)                   # redelivered
    engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(5))]))   # late
    assert (gw.health_writes, len(gw.history)) == (writes, history)


def test_steady_state_writes_only_heartbeats(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    writes = gw.health_writes
    for s in range(20, 200, 10):            # 18 rounds, 3 regions, 3 members, all fine
        all_regions(engine, clock, [(m, True, t(s)) for m in ("a1", "a2", "b1")], t(s))
    # stale window 30 s → a row is rewritten every 20 s (≥ 15 s), i.e. every other round,
    # as a heartbeat (its freshness only), never as a full health write
    assert (gw.health_writes, gw.heartbeat_writes) == (writes, 9 * 3)
    assert all(s.last_checked_at == t(190) and s.version > 1 for s in gw.states.values())
    assert len(gw.entries("member")) == 3 and len(gw.entries("gslb")) == 1
    assert "gslb.trees" not in gw.calls[-10:]


def test_out_of_order_within_a_batch(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    clock.now = t(60)
    for r in ("r1", "r2"):
        engine.handle("kosmos.check.results",
                      batch(r, [("a1", True, t(50)), ("a1", False, t(40)), ("a1", False, t(30))]))
    # in time order: fail, fail (DOWN), ok → still DOWN (rise is 2)
    assert gw.members["a1"].operating_status.value == "OFFLINE"


def test_results_for_deleted_members_are_ignored(world):
    gw, clock, engine, app = world
    summary = engine.handle("kosmos.check.results", batch("r1", [("gone", True, t(1))]))
    assert summary["ignored"] == 1 and gw.health_writes == 0


def test_invalid_event_names_the_field(world):
    gw, clock, engine, app = world
    with pytest.raises(ValidationError) as err:
        engine.handle("kosmos.check.results", {"region": "r1", "checker_id": "c", "results": [{"ok": True}]})
    assert err.value.field.startswith("data.results.0")
    with pytest.raises(ValidationError):
        engine.handle("kosmos.check.tick", {})


def test_endpoint_updates_republish(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    data = batch("r1", [])
    data["endpoints"] = [{"member_id": "a2", "endpoints": ["203.0.113.5"], "observed_at": t(30).isoformat()}]
    engine.handle("kosmos.check.results", data)
    assert served(app) == [A1, "203.0.113.5"]


def test_results_that_waited_past_their_freshness_are_kept_but_not_acted_on(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    # Every region's failures reach the engine only 200 s after their checks (stale window
    # 30 s): the rows keep them, quorum does not count them, and the lag says so.
    clock.now = t(230)
    for r in REGIONS:
        out = engine.handle("kosmos.check.results",
                            batch(r, [("a1", False, t(20)), ("a1", False, t(30))]))
        assert out["stale"] == 2 and out["lag_s"] == 200.0
    assert gw.members["a1"].operating_status.value == "ONLINE"
    assert served(app) == [A1, A2]
    assert {k[2]: s.verdict.value for k, s in gw.states.items() if k[0] == "a1"} == \
        {r: "DOWN" for r in REGIONS}
    assert {r: gw.lag[r][:2] for r in REGIONS} == {r: (200.0, 2) for r in REGIONS}
    # failures arriving in time are news
    clock.now = t(241)
    for r in REGIONS:
        engine.handle("kosmos.check.results", batch(r, [("a1", False, t(240))]))
    assert gw.members["a1"].operating_status.value == "OFFLINE"


def test_engine_lag_is_recorded_per_region_every_few_seconds_and_at_once_when_late(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)                       # first batches: recorded at once
    assert {r: gw.lag[r][0] for r in REGIONS} == {r: 1.0 for r in REGIONS}
    records = gw.calls.count("engine.lag")
    for s in range(12, 20):                           # 8 more seconds: not due yet
        all_regions(engine, clock, [("a1", True, t(s))], t(s))
    assert gw.calls.count("engine.lag") == records
    clock.now = t(30)                                  # 9 s late: crosses the threshold
    engine.handle("kosmos.check.results", batch("r1", [("a1", True, t(21))]))
    assert gw.calls.count("engine.lag") == records + 1 and gw.lag["r1"][0] == 9.0
    gw.fail_next["engine.lag"] = 1                     # a failed record is not the batch's
    clock.now = t(32)
    out = engine.handle("kosmos.check.results", batch("r2", [("a1", True, t(22))]))
    assert out["lag_s"] == 10.0 and gw.lag["r2"][0] == 1.0
    clock.now = t(33)
    engine.handle("kosmos.check.results", batch("r2", [("a1", True, t(23))]))
    assert gw.lag["r2"][0] == 10.0                     # tried again with the next batch


def test_steady_results_skip_the_conductor_until_a_heartbeat_is_due(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    reads, writes = gw.calls.count("engine.context"), gw.calls.count("health.write")
    outs = []
    for s in (20, 30, 40, 50):          # window 30 s: a heartbeat is due 15 s after a write
        clock.now = t(s + 1)
        outs.append(engine.handle("kosmos.check.results",
                                  batch("r1", [(m, True, t(s)) for m in ("a1", "a2", "b1")])))
    # 20 s: the verdicts moved at 10 s, so the rows are read again (and remembered);
    # 30 s and 50 s: heartbeats due (written at 10 s, 30 s), written without a read;
    # 40 s: nothing to do
    assert [o["steady"] for o in outs] == [0, 0, 3, 0]
    assert [o["heartbeats"] for o in outs] == [0, 3, 0, 3]
    assert gw.calls.count("engine.context") == reads + 1
    assert gw.calls.count("health.write") == writes       # no full write ...
    assert gw.calls.count("health.heartbeat") == 2          # ... a heartbeat at 30 s and 50 s
    assert {gw.states[(m, "mon", "r1")].last_checked_at for m in ("a1", "a2", "b1")} == {t(50)}
    # a failure is never steady: it goes the full way at once
    clock.now = t(61)
    out = engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(60))]))
    assert out["steady"] == 0 and gw.calls.count("engine.context") == reads + 2


def test_a_heartbeat_another_instance_wrote_first_takes_the_full_path(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    clock.now = t(21)
    engine.handle("kosmos.check.results", batch("r1", [(m, True, t(20)) for m in ("a1", "a2", "b1")]))
    key = ("a1", "mon", "r1")
    row = gw.states[key]   # another instance rewrote a1's row: this one's memory is behind
    gw.states[key] = row.model_copy(update={"version": row.version + 1, "last_checked_at": t(25)})
    reads = gw.calls.count("engine.context")
    clock.now = t(41)
    out = engine.handle("kosmos.check.results", batch("r1", [(m, True, t(40)) for m in ("a1", "a2", "b1")]))
    assert out["heartbeats"] == 0 and gw.calls.count("engine.context") == reads + 1
    assert gw.states[key].last_checked_at == t(40) and gw.states[key].version == row.version + 2


def test_a_row_whose_verdict_moved_is_read_again_with_the_next_result(world):
    """Two instances may each decide from their own region's new DOWN row without the
    other's: neither moves the member. The next result must decide again, not skip."""
    gw, clock, engine, app = world
    bring_online(engine, clock)
    all_regions(engine, clock, [("a1", True, t(11))], t(11))
    other, _ = make_engine(gw, clock, regions=REGIONS)
    clock.now = t(21)
    for e, r in ((engine, "r1"), (other, "r2")):
        for s in (20, 21):
            e.handle("kosmos.check.results", batch(r, [("a1", False, t(s))]))
    status = gw.members["a1"].operating_status
    gw.members["a1"] = gw.members["a1"].model_copy(update={"operating_status": type(status)("ONLINE")})
    # as if both had decided before the other's row was written: still ONLINE
    clock.now = t(23)
    out = engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(22))]))
    assert out["steady"] == 0 and gw.members["a1"].operating_status.value == "OFFLINE"


def test_a_row_another_instance_wrote_is_read_again_within_half_a_freshness_window(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)          # this instance wrote a1's rows UP at 10 s
    all_regions(engine, clock, [("a1", True, t(11))], t(11))   # and remembers them
    other, _ = make_engine(gw, clock, regions=REGIONS)
    for s in (12, 13):                   # another instance sees a1 fail in every region
        all_regions(other, clock, [("a1", False, t(s))], t(s))
    assert gw.members["a1"].operating_status.value == "OFFLINE"
    # This instance's memory (UP at 10 s) is out of date: a success at 15 s looks steady
    # to it and is set aside; the row stays as the other instance wrote it.
    clock.now = t(16)
    assert engine.handle("kosmos.check.results", batch("r1", [("a1", True, t(15))]))["steady"] == 1
    assert gw.states[("a1", "mon", "r1")].consecutive_ok == 0
    # Half a freshness window (15 s) after the remembered check, it reads the row again.
    clock.now = t(26)
    assert engine.handle("kosmos.check.results", batch("r1", [("a1", True, t(25))]))["steady"] == 0
    assert gw.states[("a1", "mon", "r1")].consecutive_ok == 1


def test_a_users_change_makes_the_engine_read_its_members_rows_afresh(world):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    all_regions(engine, clock, [("a1", True, t(19))], t(19))     # remembered from here
    clock.now = t(21)
    assert engine.handle("kosmos.check.results", batch("r1", [("a1", True, t(20))]))["steady"] == 1
    cause = {"op": "monitor.update", "resource": "monitor", "resource_id": "mon",
             "at": clock().isoformat()}
    engine.handle("kosmos.engine.decide", {"gslb_ids": ["g1"], "cause": cause})
    clock.now = t(23)
    assert engine.handle("kosmos.check.results", batch("r1", [("a1", True, t(22))]))["steady"] == 0


def test_two_instances_completing_a_quorum_at_once_still_move_the_member(world):
    """Regions r1 and r2 each reach DOWN in a batch applied by a different instance at
    the same moment: each reads the rows before the other's write, so neither sees two
    regions down. The later writer reads them again after its write and moves the member."""
    gw, clock, engine, app = world
    bring_online(engine, clock)
    other, _ = make_engine(gw, clock, regions=REGIONS)
    clock.now = t(21)
    for r in ("r1", "r2"):   # one failure each: fall is 2
        engine.handle("kosmos.check.results", batch(r, [("a1", False, t(20))]))
    clock.now = t(31)
    # While this instance's write is on its way, the other applies r2's second failure
    # (its read, plan and write all land before ours).
    gw.before_write.append(lambda _gw: other.handle(
        "kosmos.check.results", batch("r2", [("a1", False, t(30))])))
    engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(30))]))
    assert gw.states[("a1", "mon", "r1")].verdict.value == "DOWN"
    assert gw.states[("a1", "mon", "r2")].verdict.value == "DOWN"
    assert gw.members["a1"].operating_status.value == "OFFLINE"
    assert served(app) == [A2]
    member = [e for e in gw.entries("member") if e.member_id == "a1"][-1]
    assert (member.from_state, member.to_state) == ("ONLINE", "OFFLINE")
    assert member.evidence["trigger"]["read_again"] is True


def test_a_verdict_moved_alone_is_looked_at_again_from_the_rows_only(world):
    """r1 reaches DOWN alone (quorum needs two regions): the member stays. The second look
    after the write reads the rows alone and, as they move nothing, stops there: no
    second full read, no second publish."""
    gw, clock, engine, app = world
    bring_online(engine, clock)
    clock.now = t(21)
    engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(20))]))
    clock.now = t(31)
    gw.calls.clear()
    engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(30))]))
    assert gw.states[("a1", "mon", "r1")].verdict.value == "DOWN"
    assert gw.members["a1"].operating_status.value == "ONLINE"
    assert gw.calls.count("engine.context") == 1, gw.calls
    assert gw.calls.count("engine.context states_only") == 1, gw.calls
    assert "gslb.set_answers" not in gw.calls[gw.calls.index("engine.context states_only"):]


def test_a_backlog_of_results_older_than_their_freshness_skips_the_conductor(world):
    """Rows and results both older than the freshness window (a backlog): the results
    cannot make a row fresh again, so they are judged as on a fresh row and a batch
    that changes nothing costs no read. A result in time still takes the full path."""
    gw, clock, engine, app = world
    bring_online(engine, clock)
    clock.now = t(21)       # the verdicts moved at 10 s: read again, and remembered
    engine.handle("kosmos.check.results", batch("r1", [(m, True, t(20)) for m in ("a1", "a2", "b1")]))
    reads = gw.calls.count("engine.context")
    clock.now = t(200)      # every row and result below is 170 s old or more
    out = engine.handle("kosmos.check.results",
                        batch("r1", [(m, True, t(22)) for m in ("a1", "a2", "b1")]))
    assert (out["steady"], out["stale"]) == (3, 3)
    assert gw.calls.count("engine.context") == reads
    out = engine.handle("kosmos.check.results", batch("r1", [("a1", True, t(199))]))
    assert out["steady"] == 0 and gw.calls.count("engine.context") == reads + 1
    assert gw.states[("a1", "mon", "r1")].last_checked_at == t(199)


def test_an_engine_running_behind_judges_freshness_at_its_watermark_and_reads_nothing(world):
    """Results every 10 s, freshness window 30 s, each applied 25 s after its check. By
    the clock a settled row rewritten with the result before was 35 s old when the next
    one came: stale, so every result took the full path (a read and a decision each),
    which put the engine further behind (10,000 GSLBs on two cores). Judged at the
    newest check applied, the rows are as fresh as the regions keep them: no read, and
    a heartbeat every other result, as for an engine in time."""
    gw, clock, engine, app = world
    bring_online(engine, clock)
    clock.now = t(26)       # the verdicts moved at 10 s: read again, rewritten, remembered
    engine.handle("kosmos.check.results", batch("r1", [(m, True, t(25)) for m in ("a1", "a2", "b1")]))
    reads = gw.calls.count("engine.context")
    beats = []
    for second in range(35, 155, 10):
        clock.now = t(second + 25)
        out = engine.handle("kosmos.check.results",
                            batch("r1", [(m, True, t(second)) for m in ("a1", "a2", "b1")]))
        assert out["stale"] == 0 and out["steady"] + out["heartbeats"] == 3
        beats.append(out["heartbeats"])
    assert gw.calls.count("engine.context") == reads
    assert beats == [0, 3] * 6
    assert gw.states[("a1", "mon", "r1")].last_checked_at == t(145)


def test_one_region_cannot_pull_a_member_from_an_engine_running_behind(world):
    """Every region's results are applied 25 s after their checks (window 30 s, one
    delay 10 s). By the clock, r2's and r3's rows were stale whenever r1's batch came,
    and r1's two failures made a quorum of one: a1 went OFFLINE on one region's word.
    At the watermark the other regions still count, and outvote r1."""
    gw, clock, engine, app = world
    bring_online(engine, clock)
    for second in range(20, 80, 10):
        clock.now = t(second + 25)
        for r in REGIONS:
            ok = r != "r1" or second < 50
            engine.handle("kosmos.check.results",
                          batch(r, [("a1", ok, t(second)), ("a2", True, t(second))]))
    assert gw.states[("a1", "mon", "r1")].verdict.value == "DOWN"
    assert gw.members["a1"].operating_status.value == "ONLINE"
    assert not [e for e in gw.entries("member") if e.to_state == "OFFLINE"]   # not even once
    assert served(app) == [A1, A2]
    # a majority still can, and the history says what it judged at
    for second in (80, 90):
        clock.now = t(second + 25)
        for r in REGIONS:
            engine.handle("kosmos.check.results",
                          batch(r, [("a1", r == "r3", t(second)), ("a2", True, t(second))]))
    assert gw.members["a1"].operating_status.value == "OFFLINE" and served(app) == [A2]
    moved = [e for e in gw.entries("member") if e.to_state == "OFFLINE"]
    assert len(moved) == 1
    assert moved[0].evidence["monitors"]["mon"]["judged_at"] == t(90).isoformat()
    assert moved[0].evidence["now"] == t(115).isoformat()


def test_a_region_further_behind_than_the_others_is_read_again(world):
    """r2 and r3 arrive in time, r1's results 16 s late: at the watermark (the newest
    check applied, from r2 and r3) r1's rows are older than the window, as by the
    clock, and its results take the full path: the regions' decisions meanwhile were
    made without r1, and its results may change them."""
    gw, clock, engine, app = world
    bring_online(engine, clock)
    members = ("a1", "a2", "b1")
    for second in range(20, 60, 10):
        clock.now = t(second + 1)
        for r in ("r1", "r2", "r3") if second == 20 else ("r2", "r3"):
            engine.handle("kosmos.check.results", batch(r, [(m, True, t(second)) for m in members]))
    reads = gw.calls.count("engine.context")
    # 25 s after r1's stored check (10 s) by r1's own results, 40 s by the watermark
    out = engine.handle("kosmos.check.results", batch("r1", [(m, True, t(35)) for m in members]))
    assert out["steady"] == 0 and out["stale"] == 0
    assert gw.calls.count("engine.context") == reads + 1


def test_each_gslb_history_names_the_member_moves_of_its_own_pools():
    """One cycle moving members behind many names: each GSLB's entry lists its own
    members' moves, not the whole cycle's (which grew with the square of its size)."""
    gw = FakeGateway()
    gw.add_monitor("mon", delay=10, rise=2, fall=2)
    for i in range(3):
        gw.add_pool(f"P{i}")
        gw.add_member(f"m{i}", f"P{i}", f"192.0.2.{i + 1}")
        gw.add_member(f"k{i}", f"P{i}", f"198.51.100.{i + 1}")
        gw.add_gslb(f"g{i}", f"n{i}.example.com.", [(f"P{i}", 1)])
    clock = Clock()
    engine, _ = make_engine(gw, clock, regions=REGIONS)
    members = [m for i in range(3) for m in (f"m{i}", f"k{i}")]
    bring_online(engine, clock, members)
    for s in (20, 30):
        all_regions(engine, clock, [(f"m{i}", False, t(s)) for i in range(3)], t(s))
    for i in range(3):
        change = [e for e in gw.entries("gslb") if e.gslb_id == f"g{i}"][-1]
        assert change.to_state == f"198.51.100.{i + 1}"
        assert change.evidence["member_moves"] == [
            {"member_id": f"m{i}", "from": "ONLINE", "to": "OFFLINE"}]


def _fall3():
    """a1, a2 behind one name; monitor rise 2, fall 3 (a second failure moves no verdict)."""
    gw = FakeGateway()
    gw.add_monitor("mon", delay=10, rise=2, fall=3)
    gw.add_pool("A")
    gw.add_member("a1", "A", A1)
    gw.add_member("a2", "A", A2)
    gw.add_gslb("g1", "www.example.com.", [("A", 1)])
    clock = Clock()
    engine, _ = make_engine(gw, clock, regions=REGIONS)
    bring_online(engine, clock, ("a1", "a2"))
    all_regions(engine, clock, [("a1", True, t(11)), ("a2", True, t(11))], t(11))   # remembered
    return gw, clock, engine


def test_counts_that_move_no_verdict_are_stored_without_a_read():
    gw, clock, engine = _fall3()
    reads, writes = gw.calls.count("engine.context"), gw.calls.count("health.write")
    key = ("a1", "mon", "r1")
    clock.now = t(13)   # a first failure of a member up: the full path, which asks for rechecks
    out = engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(12))]))
    assert out["counts"] == 0 and gw.calls.count("engine.context") == reads + 1
    # the second, with a recheck under way: only the counts move, written without a read
    clock.now = t(14)
    out = engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(13))]))
    assert out["counts"] == 1 and gw.calls.count("engine.context") == reads + 1
    assert gw.calls.count("health.write") == writes + 2
    row = gw.states[key]
    assert (row.verdict.value, row.consecutive_fail, row.last_checked_at) == ("UP", 2, t(13))
    # the third moves the verdict: the full path again
    clock.now = t(15)
    out = engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(14))]))
    assert out["counts"] == 0 and gw.calls.count("engine.context") > reads + 1
    assert gw.states[key].verdict.value == "DOWN"


def test_a_failure_that_may_start_a_recheck_is_never_counted_without_the_full_path():
    gw, clock, engine = _fall3()
    reads = gw.calls.count("engine.context")
    clock.now = t(13)   # rechecks are off: the first failure asks for none, so only counts move
    engine_off, _ = make_engine(gw, clock, regions=REGIONS, recheck=False)
    all_regions(engine_off, clock, [("a2", True, t(12))], t(12))   # it learns the rows
    reads = gw.calls.count("engine.context")
    out = engine_off.handle("kosmos.check.results", batch("r1", [("a2", False, t(13))]))
    assert out["counts"] == 1 and gw.calls.count("engine.context") == reads
    # with rechecks on, a member's first failure needs the full path to ask for them
    out = engine.handle("kosmos.check.results", batch("r2", [("a1", False, t(13))]))
    assert out["counts"] == 0 and gw.calls.count("engine.context") == reads + 1


def test_counts_another_instance_wrote_first_take_the_full_path():
    gw, clock, engine = _fall3()
    clock.now = t(13)
    engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(12))]))
    key = ("a1", "mon", "r1")
    row = gw.states[key]   # another instance wrote a1's row meanwhile
    gw.states[key] = row.model_copy(update={"version": row.version + 1})
    reads = gw.calls.count("engine.context")
    clock.now = t(14)
    out = engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(13))]))
    assert out["counts"] == 0 and gw.calls.count("engine.context") == reads + 1
    assert gw.states[key].consecutive_fail == 2 and gw.states[key].version == row.version + 2


def test_results_too_late_to_be_news_are_stored_without_a_read_even_when_a_verdict_moves():
    """Behind a backlog, results older than their freshness window cannot move a member
    (its row stays stale with them): stored as counts, no read, no history; the first
    fresh result takes the full path and decides."""
    gw, clock, engine = _fall3()
    reads, history = gw.calls.count("engine.context"), len(gw.entries("health"))
    key = ("a1", "mon", "r1")
    clock.now = t(100)   # window 30 s: these waited 38-40 s
    out = engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(s)) for s in (60, 61, 62)]))
    assert (out["counts"], out["stale"]) == (1, 3) and gw.calls.count("engine.context") == reads
    assert gw.states[key].verdict.value == "DOWN" and len(gw.entries("health")) == history
    assert gw.members["a1"].operating_status.value == "ONLINE"
    out = engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(99))]))
    assert out["counts"] == 0 and gw.calls.count("engine.context") > reads


def test_a_verdict_moved_by_results_too_late_is_decided_once_results_come_in_time():
    """Behind a backlog, late results move every region's verdict to DOWN (no decision
    can count them) and late heartbeats then keep the rows' check times recent. Once
    the engine has caught up, its first result in time must take the full path and
    decide: the rows are fresh again by then, and a fast path that only asked whether
    a row had gone stale left the member ONLINE (and its dead endpoint served) for
    good."""
    gw, clock, engine = _fall3()
    clock.now = t(100)   # window 30 s: these waited 38-40 s, and move the verdicts
    for r in REGIONS:
        engine.handle("kosmos.check.results", batch(r, [("a1", False, t(s)) for s in (60, 61, 62)]))
    assert {s.verdict.value for k, s in gw.states.items() if k[0] == "a1"} == {"DOWN"}
    clock.now = t(121)   # still 31 s behind: a heartbeat keeps the rows' check times recent
    for r in REGIONS:
        out = engine.handle("kosmos.check.results", batch(r, [("a1", False, t(90))]))
        assert out["heartbeats"] == 1
    assert gw.members["a1"].operating_status.value == "ONLINE"
    reads = gw.calls.count("engine.context")
    clock.now = t(126)   # caught up: results 6 s old, rows checked 10 s before them
    engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(100))]))
    assert gw.calls.count("engine.context") > reads
    assert gw.members["a1"].operating_status.value == "OFFLINE"
    # decided: the next results in time take the fast path again
    reads = gw.calls.count("engine.context")
    clock.now = t(136)
    out = engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(110))]))
    assert out["steady"] + out["heartbeats"] == 1 and gw.calls.count("engine.context") == reads


def test_a_regions_batches_for_one_member_are_applied_in_turn(world):
    """During a failover a member's rechecks put it in a region's consecutive batches. One
    instance applying two of them side by side would read one health row twice and
    redo the batch whose write missed; the second waits for the first instead."""
    gw, clock, engine, app = world
    bring_online(engine, clock)
    clock.now = t(22)
    second = threading.Thread(target=engine.handle, args=(
        "kosmos.check.results", batch("r1", [("a1", False, t(21))])))

    def meanwhile(_gw):
        second.start()
        time.sleep(0.3)   # were it not held, the second batch would write meanwhile
    gw.before_write.append(meanwhile)
    writes = gw.calls.count("health.write")
    engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(20))]))
    second.join(10)
    assert gw.calls.count("health.write") - writes == 2   # none missed and written again
    row = gw.states[("a1", "mon", "r1")]
    assert (row.consecutive_fail, row.last_checked_at) == (2, t(21))


def test_results_that_need_no_read_are_not_held_back_by_another_batch(world, caplog):
    """Only the full path (a read, then a compare-and-set write) waits for another batch
    of the same member: results that change nothing, heartbeats and counts are
    applied at once, so large steady batches do not queue behind a slow one."""
    gw, clock, engine, app = world
    bring_online(engine, clock)
    clock.now = t(21)   # the verdicts moved at 10 s: read once more, then remembered
    engine.handle("kosmos.check.results", batch("r1", [("a1", True, t(20))]))
    engine.deps.row_locks = RowLocks(wait=2.0)
    reads = gw.calls.count("engine.context")
    with engine.deps.row_locks.holding({"a1"}):   # a batch that never ends
        for second in (30, 40):   # a heartbeat due, then nothing to do
            clock.now = t(second + 1)
            out = engine.handle("kosmos.check.results", batch("r1", [("a1", True, t(second))]))
            assert out["steady"] + out["heartbeats"] == 1
    assert gw.calls.count("engine.context") == reads
    assert "applied beside another batch of theirs" not in caplog.text


def test_a_batch_held_back_too_long_is_applied_regardless_and_says_so(world, caplog):
    gw, clock, engine, app = world
    bring_online(engine, clock)
    engine.deps.row_locks = RowLocks(wait=0.05)
    clock.now = t(21)
    with engine.deps.row_locks.holding({"a1"}):   # a batch that never ends
        engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(20))]))
    assert gw.states[("a1", "mon", "r1")].consecutive_fail == 1
    assert "applied beside another batch of theirs" in caplog.text


def test_two_regions_completing_a_quorum_at_once_publish_the_answer_once(world):
    """A dead endpoint's results reach one instance from two regions at once, each the
    one that completes the quorum as its own rows stand. Applied side by side, both read
    the rows before either wrote, both moved the member and both pushed the same answer
    (every name of a failover twice, at 1,000 GSLBs). The second waits for the first and
    finds the member already moved."""
    gw, clock, engine, app = world
    bring_online(engine, clock)
    for s in (20, 30):   # r1 sees a1 fail twice (fall 2): one region in three says DOWN
        clock.now = t(s + 1)
        engine.handle("kosmos.check.results", batch("r1", [("a1", False, t(s))]))
    clock.now = t(31)
    for r in ("r2", "r3"):   # one failure each so far
        engine.handle("kosmos.check.results", batch(r, [("a1", False, t(30))]))
    assert gw.members["a1"].operating_status.value == "ONLINE" and A1 in served(app)

    clock.now = t(41)
    read, both, calls = gw.trees, threading.Barrier(2), []

    def trees_side_by_side(gslb_ids=None):
        out = read(gslb_ids)
        calls.append(gslb_ids)
        if len(calls) <= 2:
            try:   # were it not held, the other region's batch reads them meanwhile
                both.wait(timeout=0.5)
            except threading.BrokenBarrierError:
                pass
        return out
    gw.trees = trees_side_by_side
    published = gw.calls.count("gslb.set_answers")
    second = threading.Thread(target=engine.handle, args=(
        "kosmos.check.results", batch("r3", [("a1", False, t(40))])))
    second.start()
    engine.handle("kosmos.check.results", batch("r2", [("a1", False, t(40))]))
    second.join(10)
    assert gw.members["a1"].operating_status.value == "OFFLINE" and A1 not in served(app)
    assert gw.calls.count("gslb.set_answers") - published == 1
