"""Rise/fall thresholds per (member, monitor, region), HAProxy/Octavia style.

A region's verdict about a member under a monitor moves only after enough
consecutive results agree: ``max_retries`` successes to go UP,
``max_retries_down`` failures to go DOWN. A new row starts UNKNOWN and stays
so until one threshold is reached.

Counts are capped at the threshold that matters, so in steady state a result
changes none of the *material* fields (verdict, counts, last outcome) and the
engine writes nothing. Because unchanged rows are not written, their
``last_checked_at`` would age although the region keeps reporting; freshness
across regions (``kosmos.domain.quorum``) depends on it, so a row is also
rewritten as a heartbeat once its stored ``last_checked_at`` is older than
half the stale window, by the newest result or by the time freshness is judged
at (``heartbeat_due``). Between heartbeats the stored
``last_checked_at`` lags the newest result applied by at most that much; a
late result falling into the gap is applied as if new, which can move a count
by one but never flips a verdict on its own.

Results checked at or before the stored ``last_checked_at`` are stale or
duplicates (the checker stamps results with the scheduled slot, so a
redelivered batch carries identical times) and change nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from kosmos.contracts.events import CheckResult
from kosmos.contracts.health import HealthState, Verdict

MATERIAL_FIELDS = ("verdict", "consecutive_ok", "consecutive_fail", "last_ok")


@dataclass(frozen=True)
class VerdictChange:
    """A region's verdict moved; ``result`` is the result that completed the threshold."""

    from_verdict: Verdict
    to_verdict: Verdict
    result: CheckResult
    rule: str


def new_state(member_id: str, monitor_id: str, region: str, project_id: str) -> HealthState:
    """The row of a (member, monitor, region) never seen before: UNKNOWN, no counts."""
    return HealthState(member_id=member_id, monitor_id=monitor_id, region=region,
                       project_id=project_id, version=0)


def apply_results(state: HealthState, results: Iterable[CheckResult], rise: int,
                  fall: int) -> tuple[HealthState, list[VerdictChange]]:
    """Apply ``results`` (any order) to ``state``; return the new state and verdict moves.

    Results are applied in ``checked_at`` order; those at or before the state's
    ``last_checked_at`` (or the previous result applied) are skipped. ``state``
    is not modified.
    """
    rise, fall = max(1, rise), max(1, fall)
    cur = state.replaced()
    # Thresholds may have been lowered since the counts were written.
    cur.consecutive_ok = min(cur.consecutive_ok, rise)
    cur.consecutive_fail = min(cur.consecutive_fail, fall)
    changes: list[VerdictChange] = []
    for result in sorted(results, key=lambda r: r.checked_at):
        if cur.last_checked_at is not None and result.checked_at <= cur.last_checked_at:
            continue
        if result.ok:
            cur.consecutive_ok = min(cur.consecutive_ok + 1, rise)
            cur.consecutive_fail = 0
            target, reached = Verdict.UP, cur.consecutive_ok >= rise
            rule = f"{cur.consecutive_ok} consecutive successes >= max_retries {rise}"
        else:
            cur.consecutive_fail = min(cur.consecutive_fail + 1, fall)
            cur.consecutive_ok = 0
            target, reached = Verdict.DOWN, cur.consecutive_fail >= fall
            rule = f"{cur.consecutive_fail} consecutive failures >= max_retries_down {fall}"
        cur.last_ok = result.ok
        cur.last_reason = result.reason
        cur.last_latency_ms = result.latency_ms
        cur.last_checked_at = result.checked_at
        if reached and cur.verdict != target:
            changes.append(VerdictChange(cur.verdict, target, result, rule))
            cur.verdict = target
            cur.verdict_changed_at = result.checked_at
    return cur, changes


def repeats_settled(state: HealthState, results: Iterable[CheckResult], rise: int,
                    fall: int) -> bool:
    """True when every result repeats a settled row: UP with its successes at ``rise``
    and all ``results`` successes, or DOWN with its failures at ``fall`` and all
    failures. ``apply_results`` would then change no material field and move no
    verdict; this says so without building the new row (most results, every time)."""
    rise, fall = max(1, rise), max(1, fall)
    if state.verdict == Verdict.UP:
        return (state.last_ok is True and state.consecutive_ok == rise
                and state.consecutive_fail == 0 and all(r.ok for r in results))
    if state.verdict == Verdict.DOWN:
        return (state.last_ok is False and state.consecutive_fail == fall
                and state.consecutive_ok == 0 and not any(r.ok for r in results))
    return False


def refreshed(state: HealthState, newest: CheckResult) -> HealthState:
    """The row after results that repeat it settled (``repeats_settled``), ``newest``
    the first of the newest among them and newer than the row: only its freshness
    fields move. What ``apply_results`` returns for them, without applying each."""
    return state.replaced(last_reason=newest.reason, last_latency_ms=newest.latency_ms,
                          last_checked_at=newest.checked_at)


def is_material_change(old: HealthState, new: HealthState) -> bool:
    """True when a field that decisions depend on differs (not just times/latency)."""
    return any(getattr(old, f) != getattr(new, f) for f in MATERIAL_FIELDS)


def heartbeat_due(stored_checked_at: datetime | None, newest_checked_at: datetime | None,
                  stale_window: timedelta, now: datetime | None = None) -> bool:
    """True when the stored row is old enough that it must be refreshed to stay fresh.

    By the newest result's time: half the window after the stored check. And, given
    the time freshness is judged at (``now``: ``kosmos.domain.quorum.judged_at``), as
    soon as the stored check is half the window old by then. Results every delay D
    and a window of 3D, the first rule rewrites a row every 2D. Judged by the clock, an
    engine running more than the window less 2D behind found rows already stale on
    their next result and took each through a full read and decision (10,000 GSLBs on
    two cores); the second rule then rewrote a row with each result. The engine now
    judges at its watermark, where a row rewritten every 2D stays fresh at any lag
    below the window, and the second rule only matters for a region behind the
    others. Results already older than the window cannot keep a row fresh and add no
    heartbeat by it. A redelivered batch (results at or before the stored check)
    writes nothing either way.
    """
    if newest_checked_at is None:
        return False
    if stored_checked_at is None:
        return True
    if newest_checked_at - stored_checked_at >= stale_window / 2:
        return True
    return (now is not None and newest_checked_at > stored_checked_at
            and now - stored_checked_at >= stale_window / 2
            and now - newest_checked_at <= stale_window)


def needs_write(old: HealthState, new: HealthState, stale_window: timedelta,
                now: datetime | None = None) -> bool:
    """Whether the engine must write ``new`` over the stored ``old`` (results applied at
    ``now``, when given: ``heartbeat_due``).

    A row never stored (``version`` 0) is written once it has seen a result.
    """
    if new.last_checked_at is None or new.last_checked_at == old.last_checked_at:
        return False
    if old.version == 0 or is_material_change(old, new):
        return True
    return heartbeat_due(old.last_checked_at, new.last_checked_at, stale_window, now)
