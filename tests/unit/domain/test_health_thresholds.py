"""Rise/fall thresholds per (member, monitor, region), duplicates and late results."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kosmos.contracts.events import CheckResult
from kosmos.contracts.health import Verdict
from kosmos.domain.health import (apply_results, heartbeat_due, is_material_change, needs_write,
                                  new_state, refreshed, repeats_settled)

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def results(pattern: str, start: int = 1) -> list[CheckResult]:
    """'++-' → ok, ok, fail at T0+start, +start+1, ... seconds."""
    return [CheckResult(member_id="m", monitor_id="mon", ok=c == "+", reason="ok" if c == "+" else "refused",
                        checked_at=T0 + timedelta(seconds=start + i)) for i, c in enumerate(pattern)]


@pytest.mark.parametrize("pattern, rise, fall, verdict, ok, fail", [
    ("", 3, 3, Verdict.UNKNOWN, 0, 0),
    ("++", 3, 3, Verdict.UNKNOWN, 2, 0),
    ("+++", 3, 3, Verdict.UP, 3, 0),
    ("+++++++", 3, 3, Verdict.UP, 3, 0),          # capped
    ("--", 3, 3, Verdict.UNKNOWN, 0, 2),
    ("---", 3, 3, Verdict.DOWN, 0, 3),
    ("+++--", 3, 3, Verdict.UP, 0, 2),            # not yet down
    ("+++---", 3, 3, Verdict.DOWN, 0, 3),
    ("+++-+-+-", 3, 3, Verdict.UP, 0, 1),          # flapping results do not flap the verdict
    ("---++", 3, 2, Verdict.DOWN, 2, 0),
    ("---+++", 3, 2, Verdict.UP, 3, 0),
    ("-", 1, 1, Verdict.DOWN, 0, 1),
    ("-+", 1, 1, Verdict.UP, 1, 0),
    ("+-", 2, 1, Verdict.DOWN, 0, 1),
])
def test_thresholds(pattern, rise, fall, verdict, ok, fail):
    st, _ = apply_results(new_state("m", "mon", "r1", "p"), results(pattern), rise, fall)
    assert (st.verdict, st.consecutive_ok, st.consecutive_fail) == (verdict, ok, fail)


def test_order_within_batch_is_by_checked_at():
    rs = results("---+++")
    st, changes = apply_results(new_state("m", "mon", "r1", "p"), list(reversed(rs)), 3, 3)
    assert st.verdict == Verdict.UP
    assert [(c.from_verdict, c.to_verdict) for c in changes] == [
        (Verdict.UNKNOWN, Verdict.DOWN), (Verdict.DOWN, Verdict.UP)]
    assert changes[-1].result.checked_at == rs[-1].checked_at
    assert st.last_checked_at == rs[-1].checked_at


def test_duplicates_and_late_results_change_nothing():
    st, _ = apply_results(new_state("m", "mon", "r1", "p"), results("+++"), 3, 3)
    again, changes = apply_results(st, results("+++"), 3, 3)
    assert again == st and changes == []
    late, changes = apply_results(st, results("---", start=0), 3, 3)   # all at or before last
    assert late == st and changes == []


def test_steady_state_needs_no_write_but_heartbeats():
    window = timedelta(seconds=30)
    st, _ = apply_results(new_state("m", "mon", "r1", "p"), results("+++"), 3, 3)
    st = st.model_copy(update={"version": 4})
    nxt, _ = apply_results(st, results("+", start=10), 3, 3)
    assert not needs_write(st, nxt, window)               # 7 s later: nothing to write
    nxt, _ = apply_results(st, results("+", start=20), 3, 3)
    assert needs_write(st, nxt, window)                   # 17 s ≥ 15 s: heartbeat
    nxt, _ = apply_results(st, results("-", start=10), 3, 3)
    assert needs_write(st, nxt, window)                   # material change
    assert not needs_write(st, st, window)


def test_new_row_is_written_once_it_saw_a_result():
    fresh = new_state("m", "mon", "r1", "p")
    st, _ = apply_results(fresh, results("+"), 3, 3)
    assert needs_write(fresh, st, timedelta(seconds=30))
    assert not needs_write(fresh, fresh, timedelta(seconds=30))


def test_lowered_threshold_caps_stored_counts():
    st, _ = apply_results(new_state("m", "mon", "r1", "p"), results("+++++"), 5, 5)
    st2, ch = apply_results(st, results("-", start=10), 2, 1)
    assert st2.verdict == Verdict.DOWN and st2.consecutive_fail == 1 and ch


def test_heartbeat_due_uses_result_time():
    w = timedelta(seconds=30)
    assert heartbeat_due(None, T0, w)
    assert not heartbeat_due(T0, None, w)
    assert not heartbeat_due(T0, T0 + timedelta(seconds=14), w)
    assert heartbeat_due(T0, T0 + timedelta(seconds=15), w)


def test_heartbeat_due_by_the_clock_while_the_engine_runs_behind():
    w, s = timedelta(seconds=30), lambda n: T0 + timedelta(seconds=n)
    assert not heartbeat_due(T0, s(10), w, now=s(14))   # 4 s behind: by the result's time
    assert heartbeat_due(T0, s(10), w, now=s(18))       # 8 s behind: 18 s since the stored check
    assert not heartbeat_due(T0, s(10), w, now=s(41))   # the result itself is stale
    assert not heartbeat_due(s(10), s(10), w, now=s(40))   # nothing newer than stored


@settings(max_examples=400, deadline=None)
@given(history=st.text("+-", max_size=8), rise=st.integers(0, 4), fall=st.integers(0, 4),
       now_rise=st.integers(0, 4), now_fall=st.integers(0, 4), batch=st.text("+-", max_size=4),
       late=st.booleans())
def test_repeats_settled_only_when_applying_would_change_no_decision(
        history, rise, fall, now_rise, now_fall, batch, late):
    """The steady path's shortcut agrees with ``apply_results``: whenever it says the
    results repeat a settled row, applying them moves no verdict and no material field
    (thresholds changed since the row was written included)."""
    row, _ = apply_results(new_state("m", "mon", "r1", "p"), results(history), rise, fall)
    start = len(history) + 1 - (2 if late else 0)    # late: some results already applied
    batch_results = results(batch, start=start)
    if repeats_settled(row, batch_results, now_rise, now_fall):
        new, changes = apply_results(row, batch_results, now_rise, now_fall)
        assert changes == [] and not is_material_change(row, new)
        newest = max(batch_results, key=lambda r: r.checked_at, default=None)
        if newest is not None and row.last_checked_at < newest.checked_at:
            assert refreshed(row, newest) == new   # the steady path's heartbeat row


def test_refreshed_takes_the_first_of_the_newest_results_as_applying_does():
    row, _ = apply_results(new_state("m", "mon", "r1", "p"), results("+++"), 3, 3)
    at = T0 + timedelta(seconds=10)
    twins = [CheckResult(member_id="m", monitor_id="mon", ok=True, reason=reason, latency_ms=ms,
                         checked_at=at) for reason, ms in (("first", 1.0), ("second", 2.0))]
    new, _ = apply_results(row, twins, 3, 3)
    assert refreshed(row, max(twins, key=lambda r: r.checked_at)) == new
    assert (new.last_reason, new.last_latency_ms, new.last_checked_at) == ("first", 1.0, at)


def test_repeats_settled_says_no_for_unsettled_rows():
    up, _ = apply_results(new_state("m", "mon", "r1", "p"), results("+++"), 3, 3)
    assert repeats_settled(up, results("++", 10), 3, 3)
    assert not repeats_settled(up, results("+-", 10), 3, 3)       # a failure moves counts
    assert not repeats_settled(up, results("+", 10), 2, 3)        # rise lowered: counts capped
    climbing, _ = apply_results(new_state("m", "mon", "r1", "p"), results("++"), 3, 3)
    assert not repeats_settled(climbing, results("+", 10), 3, 3)  # UNKNOWN is never settled
    down, _ = apply_results(new_state("m", "mon", "r1", "p"), results("---"), 3, 3)
    assert repeats_settled(down, results("--", 10), 3, 3)
    assert not repeats_settled(down, results("-+", 10), 3, 3)


def test_a_replaced_row_is_what_model_copy_makes_and_leaves_the_row_as_it_was():
    row, _ = apply_results(new_state("m", "mon", "r1", "p"), results("+++"), 3, 3)
    changes = {"version": 7, "last_reason": "HTTP 200", "last_checked_at": T0}
    copy = row.replaced(**changes)
    want = row.model_copy(update=changes)
    assert copy == want and copy.model_fields_set == want.model_fields_set
    assert copy.model_dump() == want.model_dump() and type(copy) is type(row)
    copy.consecutive_ok = 0
    assert row.consecutive_ok == 3 and row.version != 7 and row.replaced() == row
