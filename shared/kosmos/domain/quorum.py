"""Across regions and monitors: a member's operating status.

Per monitor, only *fresh* regional verdicts count: a row whose
``last_checked_at`` is within ``stale_intervals × monitor.delay`` of now and
whose verdict is UP or DOWN. The monitor says DOWN when more than ``quorum``
(a share, default 0.5: a strict majority) of those fresh verdicts are DOWN,
else UP. One region cut off from the endpoints is therefore outvoted, and a
region cut off from the engine simply stops being fresh; neither removes an
endpoint on its own (with a single region there is nobody to outvote it).

A member with several monitors is ONLINE only if every monitor says UP and
OFFLINE as soon as one says DOWN. A monitor with no fresh verdict at all keeps
the member's last status (NO_MONITOR for a member never decided) and the
reason says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence

from kosmos.contracts.common import OperatingStatus
from kosmos.contracts.health import HealthState, Verdict

ONLINE = OperatingStatus.ONLINE.value
OFFLINE = OperatingStatus.OFFLINE.value
NO_MONITOR = OperatingStatus.NO_MONITOR.value


@dataclass(frozen=True)
class MonitorRule:
    """The parts of a monitor the quorum needs."""

    id: str
    delay: float


@dataclass(frozen=True)
class MemberDecision:
    status: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


def stale_window(delay: float, stale_intervals: float) -> timedelta:
    """How long a regional verdict stays fresh."""
    return timedelta(seconds=max(1.0, float(delay)) * stale_intervals)


def fresh_at(last_checked_at: datetime | None, now: datetime, window: timedelta) -> bool:
    """A verdict checked at ``last_checked_at`` is fresh at ``now`` (the one rule)."""
    return last_checked_at is not None and now - last_checked_at <= window


def is_fresh(state: HealthState, now: datetime, window: timedelta) -> bool:
    return fresh_at(state.last_checked_at, now, window)


def _region_evidence(state: HealthState, fresh: bool) -> dict[str, Any]:
    return {"region": state.region, "verdict": state.verdict.value, "fresh": fresh,
            "last_ok": state.last_ok, "last_reason": state.last_reason,
            "last_checked_at": state.last_checked_at.isoformat() if state.last_checked_at else None}


def monitor_verdict(states: Iterable[HealthState], monitor: MonitorRule, now: datetime,
                    quorum: float, stale_intervals: float,
                    explain: bool = True) -> tuple[Verdict | None, str, list[dict]]:
    """The cross-region verdict of one monitor: UP, DOWN, or None (no fresh verdict)."""
    window = stale_window(monitor.delay, stale_intervals)
    evidence, up, down = [], [], []
    for st in sorted(states, key=lambda s: s.region):
        fresh = is_fresh(st, now, window)
        if explain:
            evidence.append(_region_evidence(st, fresh))
        if fresh and st.verdict == Verdict.UP:
            up.append(st.region)
        elif fresh and st.verdict == Verdict.DOWN:
            down.append(st.region)
    voters = len(up) + len(down)
    if voters == 0:
        return None, f"monitor {monitor.id}: no fresh verdict from any region", evidence
    if len(down) > quorum * voters:
        return (Verdict.DOWN,
                f"monitor {monitor.id}: DOWN in {len(down)} of {voters} fresh regions "
                f"({', '.join(down)}), more than quorum {quorum:g}", evidence)
    return (Verdict.UP,
            f"monitor {monitor.id}: UP, DOWN in {len(down)} of {voters} fresh regions "
            f"(not more than quorum {quorum:g})", evidence)


def decide_member(previous: str, states: Sequence[HealthState], monitors: Sequence[MonitorRule],
                  now: datetime, quorum: float = 0.5, stale_intervals: float = 3.0,
                  regions: Sequence[str] | None = None, explain: bool = True) -> MemberDecision:
    """The member's operating status from every regional row of every monitor.

    ``regions`` (the pool's probing regions, None = all) drops rows of regions
    that no longer probe the pool. ``previous`` is the stored operating status.
    ``explain=False`` skips building the evidence (the hot path of steady state).
    """
    if not monitors:
        return MemberDecision(NO_MONITOR, "pool has no monitor")
    verdicts: dict[str, Verdict | None] = {}
    reasons: dict[str, str] = {}
    evidence: dict[str, Any] = {"quorum": quorum, "stale_intervals": stale_intervals,
                                "now": now.isoformat(), "monitors": {}}
    for mon in monitors:
        rows = [s for s in states if s.monitor_id == mon.id
                and (regions is None or s.region in regions)]
        verdict, reason, ev = monitor_verdict(rows, mon, now, quorum, stale_intervals, explain)
        verdicts[mon.id] = verdict
        reasons[mon.id] = reason
        evidence["monitors"][mon.id] = {"verdict": verdict.value if verdict else None, "regions": ev}
    down = [m for m, v in verdicts.items() if v == Verdict.DOWN]
    if down:
        return MemberDecision(OFFLINE, "; ".join(reasons[m] for m in down), evidence)
    if all(v == Verdict.UP for v in verdicts.values()):
        return MemberDecision(ONLINE, "; ".join(reasons.values()), evidence)
    missing = [m for m, v in verdicts.items() if v is None]
    keep = previous if previous in (ONLINE, OFFLINE) else NO_MONITOR
    what = "no verdict yet" if keep == NO_MONITOR else f"keeping {keep}"
    return MemberDecision(
        keep, f"{what}: no fresh verdict from any region for monitor(s) {', '.join(missing)}",
        evidence)
