"""Cross-region quorum, staleness and several monitors."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kosmos.contracts.health import HealthState, Verdict
from kosmos.domain.quorum import MonitorRule, decide_member, judged_at

NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
U, D, N = Verdict.UP, Verdict.DOWN, Verdict.UNKNOWN


def row(region: str, verdict: Verdict, age: float = 1.0, monitor: str = "mon") -> HealthState:
    return HealthState(member_id="m", monitor_id=monitor, region=region, project_id="p",
                       verdict=verdict, last_checked_at=NOW - timedelta(seconds=age))


MON = [MonitorRule("mon", 10)]


@pytest.mark.parametrize("verdicts, previous, quorum, expected", [
    ([U, U, U], "NO_MONITOR", 0.5, "ONLINE"),
    ([D, U, U], "ONLINE", 0.5, "ONLINE"),          # one region cut off never removes
    ([D, D, U], "ONLINE", 0.5, "OFFLINE"),         # strict majority
    ([D, U], "ONLINE", 0.5, "ONLINE"),             # 1 of 2 is not more than half
    ([D, D], "ONLINE", 0.5, "OFFLINE"),
    ([D], "ONLINE", 0.5, "OFFLINE"),               # a single region decides alone
    ([D, U, U], "ONLINE", 0.0, "OFFLINE"),         # quorum 0: any region
    ([D, D, U, U], "ONLINE", 0.5, "ONLINE"),
    ([D, D, D, U], "ONLINE", 0.5, "OFFLINE"),
    ([D, D, U, U], "ONLINE", 0.25, "OFFLINE"),
    ([N, N], "NO_MONITOR", 0.5, "NO_MONITOR"),      # no verdict yet
    ([N, N], "OFFLINE", 0.5, "OFFLINE"),           # unknown rows do not vote
    ([D, N], "ONLINE", 0.5, "OFFLINE"),
])
def test_quorum(verdicts, previous, quorum, expected):
    states = [row(f"r{i}", v) for i, v in enumerate(verdicts)]
    d = decide_member(previous, states, MON, NOW, quorum=quorum)
    assert d.status == expected, d.reason


@pytest.mark.parametrize("ages, verdicts, previous, expected", [
    ([1, 1, 100], [U, U, D], "ONLINE", "ONLINE"),
    ([100, 100, 1], [D, D, U], "OFFLINE", "ONLINE"),     # stale majority ignored
    ([1, 100, 100], [D, U, U], "ONLINE", "OFFLINE"),     # only the fresh region votes
    ([100, 100], [D, D], "ONLINE", "ONLINE"),            # nothing fresh: keep last
    ([100, 100], [U, U], "OFFLINE", "OFFLINE"),
    ([30, 31], [D, D], "ONLINE", "OFFLINE"),             # 30 s = 3 × 10 s is still fresh
])
def test_staleness(ages, verdicts, previous, expected):
    states = [row(f"r{i}", v, a) for i, (v, a) in enumerate(zip(verdicts, ages))]
    d = decide_member(previous, states, MON, NOW, stale_intervals=3)
    assert d.status == expected, d.reason


def test_no_fresh_verdict_says_why():
    d = decide_member("ONLINE", [row("r1", D, 1000)], MON, NOW)
    assert d.status == "ONLINE" and "no fresh verdict" in d.reason and "keeping ONLINE" in d.reason
    assert d.evidence["monitors"]["mon"]["regions"][0]["fresh"] is False


@pytest.mark.parametrize("a, b, expected", [
    (U, U, "ONLINE"), (U, D, "OFFLINE"), (D, U, "OFFLINE"), (D, D, "OFFLINE"),
    (U, N, "ONLINE"),   # previous kept while the second monitor has no verdict
])
def test_several_monitors_all_must_pass(a, b, expected):
    mons = [MonitorRule("m1", 10), MonitorRule("m2", 5)]
    states = [row("r1", a, monitor="m1"), row("r1", b, monitor="m2")]
    assert decide_member("ONLINE", states, mons, NOW).status == expected


def test_regions_filter_and_no_monitor():
    states = [row("r1", U), row("old", D), row("old2", D)]
    assert decide_member("ONLINE", states, MON, NOW, regions=["r1"]).status == "ONLINE"
    assert decide_member("ONLINE", states, MON, NOW).status == "OFFLINE"
    assert decide_member("ONLINE", states, [], NOW).status == "NO_MONITOR"


def test_down_reason_names_regions():
    d = decide_member("ONLINE", [row("east", D), row("west", D), row("north", U)], MON, NOW)
    assert "east" in d.reason and "west" in d.reason and "2 of 3" in d.reason


def test_freshness_is_judged_at_the_watermark_while_it_is_within_a_window_of_now():
    window = timedelta(seconds=30)
    behind = NOW - timedelta(seconds=25)
    assert judged_at(NOW, None, window) == NOW                      # a cold engine: the clock
    assert judged_at(NOW, behind, window) == behind
    assert judged_at(NOW, NOW - timedelta(seconds=31), window) == NOW   # too late to be news
    assert judged_at(NOW, NOW + timedelta(seconds=5), window) == NOW    # never ahead of the clock


def test_an_engine_running_behind_counts_the_regions_still_reporting():
    """Rows checked 35 s ago (window 30 s) by an engine whose newest result is 25 s old:
    every region reported within the window of it, so all three vote and r1 alone does
    not pull the member. By the clock r1's newer row would be the only fresh one."""
    states = [row("r1", D, age=25), row("r2", U, age=35), row("r3", U, age=35)]
    behind = NOW - timedelta(seconds=25)
    assert decide_member("ONLINE", states, MON, NOW).status == "OFFLINE"
    d = decide_member("ONLINE", states, MON, NOW, watermark=behind)
    assert d.status == "ONLINE"
    assert d.evidence["monitors"]["mon"]["judged_at"] == behind.isoformat()
    # a region cut off still goes stale against the others' results (35 s before them)
    states = [row("r1", D, age=25), row("r2", U, age=60)]
    d = decide_member("ONLINE", states, MON, NOW, watermark=behind)
    assert d.status == "OFFLINE" and "DOWN in 1 of 1 fresh regions" in d.reason
