"""Across regions and monitors: a member's operating status.

Per monitor, only *fresh* regional verdicts count: a row whose
``last_checked_at`` is within ``stale_intervals × monitor.delay`` of the time
freshness is judged at (``judged_at``: now, or the engine's watermark while it
runs behind) and whose verdict is UP or DOWN. The monitor says DOWN when more
than ``quorum`` (a share, default 0.5: a strict majority) of those fresh
verdicts are DOWN, else UP. One region cut off from the endpoints is
therefore outvoted, and a region cut off from the engine simply stops being
fresh; neither removes an endpoint on its own (with a single region there is
nobody to outvote it).

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


def judged_at(now: datetime, watermark: datetime | None, window: timedelta) -> datetime:
    """The time freshness is judged at: the engine's watermark (the newest check time
    it has applied results of) while that is within ``window`` of ``now``, else ``now``.

    An engine running L seconds behind applies every region's results L seconds late.
    Judged by the clock, each row then looked L seconds older than the region's
    reporting made it, and past ``window`` less one delay a region still reporting
    looked silent: with the other regions' rows stale, one region's failures were a
    quorum of one. Judged at the watermark, the engine sees the regions as they were
    when its newest results were checked. A region cut off still goes stale against
    the others' results. An engine more than a window behind judges by the clock, where
    every result it applies is stale: results that waited that long are no news.
    """
    if watermark is None or now - watermark > window:
        return now
    return min(watermark, now)


def is_fresh(state: HealthState, now: datetime, window: timedelta) -> bool:
    return fresh_at(state.last_checked_at, now, window)


def _region_evidence(state: HealthState, fresh: bool) -> dict[str, Any]:
    return {"region": state.region, "verdict": state.verdict.value, "fresh": fresh,
            "last_ok": state.last_ok, "last_reason": state.last_reason,
            "last_checked_at": state.last_checked_at.isoformat() if state.last_checked_at else None}


def monitor_verdict(states: Iterable[HealthState], monitor: MonitorRule, at: datetime,
                    window: timedelta, quorum: float,
                    explain: bool = True) -> tuple[Verdict | None, str, list[dict]]:
    """The cross-region verdict of one monitor: UP, DOWN, or None (no fresh verdict), its
    rows fresh within ``window`` of ``at`` (``judged_at``)."""
    evidence, up, down = [], [], []
    for st in sorted(states, key=lambda s: s.region):
        fresh = is_fresh(st, at, window)
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
                  regions: Sequence[str] | None = None, explain: bool = True,
                  watermark: datetime | None = None) -> MemberDecision:
    """The member's operating status from every regional row of every monitor.

    ``regions`` (the pool's probing regions, None = all) drops rows of regions
    that no longer probe the pool. ``previous`` is the stored operating status.
    ``explain=False`` skips building the evidence (the hot path of steady state).
    ``watermark``: the newest check time the engine has applied (``judged_at``).
    """
    if not monitors:
        return MemberDecision(NO_MONITOR, "pool has no monitor")
    verdicts: dict[str, Verdict | None] = {}
    reasons: dict[str, str] = {}
    evidence: dict[str, Any] = {"quorum": quorum, "stale_intervals": stale_intervals,
                                "now": now.isoformat(), "monitors": {}}
    if watermark is not None:
        evidence["watermark"] = watermark.isoformat()
    for mon in monitors:
        rows = [s for s in states if s.monitor_id == mon.id
                and (regions is None or s.region in regions)]
        window = stale_window(mon.delay, stale_intervals)
        at = judged_at(now, watermark, window)
        verdict, reason, ev = monitor_verdict(rows, mon, at, window, quorum, explain)
        verdicts[mon.id] = verdict
        reasons[mon.id] = reason
        evidence["monitors"][mon.id] = {"verdict": verdict.value if verdict else None,
                                        "judged_at": at.isoformat(), "regions": ev}
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
