"""From one batch of results to the health writes, member changes and history.

Pure: takes the conductor's ``EngineContext`` and a ``CheckResults`` batch and
returns what to write. A member's history entries are written once per GSLB
using its pool (``gslb_id`` set), so each GSLB's history shows them. Nothing is written for results that change nothing
(duplicates, late results, steady state), except the heartbeat rewrite that
keeps a region's verdict fresh (``kosmos.domain.health``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kosmos.contracts.common import enum_text
from kosmos.config import Settings
from kosmos.contracts.events import CheckResult, CheckResults
from kosmos.contracts.health import HealthState, HealthWrite, MemberStatusChange
from kosmos.contracts.history import HistoryEntryCreate, SubjectType
from kosmos.domain.health import apply_results, needs_write, new_state
from kosmos.domain.quorum import (NO_MONITOR, MemberDecision, MonitorRule, decide_member, fresh_at,
                                  judged_at, stale_window)
from kosmos.engine.gateway import EngineContext
from kosmos.engine.steady import Known

_KEEP_PREFIXES = ("keeping ", "no verdict yet")


@dataclass
class MemberMove:
    member_id: str
    project_id: str
    from_status: str
    to_status: str
    decision: MemberDecision
    time: datetime


@dataclass
class HealthPlan:
    writes: list[HealthWrite] = field(default_factory=list)
    members: list[MemberStatusChange] = field(default_factory=list)
    history: list[HistoryEntryCreate] = field(default_factory=list)
    moves: list[MemberMove] = field(default_factory=list)
    ignored: int = 0
    stale: int = 0   # results already older than their freshness window: kept, not news
    # Each row as stored once ``writes`` are written, for the steady-state fast path.
    known: dict[tuple[str, str, str], Known] = field(default_factory=dict)
    # Members one of whose regional verdicts moved (UP <-> DOWN) with this batch.
    verdicts_moved: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (self.writes or self.members or self.history)

    def statuses(self) -> dict[str, str]:
        """member id → new operating status, for members whose status moved."""
        return {m.member_id: m.to_status for m in self.moves}


def _result_ev(r: CheckResult) -> dict[str, Any]:
    return {"monitor_id": r.monitor_id, "ok": r.ok, "reason": r.reason, "address": r.address,
            "latency_ms": r.latency_ms, "checked_at": r.checked_at.isoformat()}


def _stale_note(reason: str | None) -> bool:
    return bool(reason) and reason.startswith(_KEEP_PREFIXES)   # type: ignore[union-attr]


def plan_health(ctx: EngineContext, batch: CheckResults, now: datetime, settings: Settings,
                watermark: datetime | None = None) -> HealthPlan:
    """Apply ``batch`` (one region's results) to the stored states; decide members, with
    freshness judged at ``judged_at(now, watermark, window)`` (``kosmos.domain.quorum``)."""
    plan = HealthPlan()
    grouped: dict[tuple[str, str], list[CheckResult]] = defaultdict(list)
    for r in batch.results:
        grouped[(r.member_id, r.monitor_id)].append(r)
    touched: dict[str, list[CheckResult]] = defaultdict(list)
    new_states: dict[tuple[str, str, str], HealthState] = {}
    for (member_id, monitor_id), results in sorted(grouped.items()):
        member = ctx.members.get(member_id)
        monitor = ctx.monitors.get(monitor_id)
        pool = ctx.pools.get(member.pool_id) if member else None
        if (member is None or monitor is None or pool is None or monitor_id not in pool.monitor_ids
                or (pool.regions is not None and batch.region not in pool.regions)):
            plan.ignored += len(results)   # deleted since the batch was built, or re-scoped
            continue
        key = (member_id, monitor_id, batch.region)
        window = stale_window(monitor.delay, settings.stale_intervals)
        plan.stale += sum(1 for r in results if now - r.checked_at > window)
        old = ctx.states.get(key) or new_state(member_id, monitor_id, batch.region, member.project_id)
        new, changes = apply_results(old, results, monitor.max_retries, monitor.max_retries_down)
        stored, at = old, judged_at(now, watermark, window)
        if needs_write(old, new, window, at):
            plan.writes.append(HealthWrite(state=new, expected_version=old.version or None))
            stored = new.replaced(version=old.version + 1)
        # A row whose verdict just moved is not remembered: another instance may be
        # deciding the member from the other regions' rows right now without this one,
        # so the next result for it takes the full path and decides again.
        # A row stale when its member is decided is owed a decision once results come
        # in time (``Known.owed``).
        if stored.version and not changes:
            plan.known[key] = Known(stored, monitor.max_retries, monitor.max_retries_down, window,
                                    owed=not fresh_at(stored.last_checked_at, at, window))
        new_states[key] = new
        if changes:
            plan.verdicts_moved.add(member_id)
        for ch, gslb_id in ((c, g) for c in changes for g in _gslbs_of(ctx, member.pool_id)):
            plan.history.append(HistoryEntryCreate(
                project_id=member.project_id, gslb_id=gslb_id, member_id=member_id,
                subject_type=SubjectType.HEALTH,
                subject_id=f"{member_id}/{monitor_id}/{batch.region}", time=ch.result.checked_at,
                from_state=ch.from_verdict.value, to_state=ch.to_verdict.value,
                reason=f"{endpoint_of(member)} in region {batch.region}: {ch.rule}",
                evidence={"region": batch.region, "checker_id": batch.checker_id,
                          "batch_id": batch.batch_id, "result": _result_ev(ch.result)},
                dedupe_key=f"health:{member_id}:{monitor_id}:{batch.region}:"
                           f"{ch.result.checked_at.isoformat()}:{ch.to_verdict.value}:{gslb_id}"))
        if new != old:
            touched[member_id].extend(results)
    by_member = ctx.states_by_member()
    for key, state in new_states.items():
        by_member.setdefault(key[0], {})[key] = state
    trigger = {"region": batch.region, "checker_id": batch.checker_id, "batch_id": batch.batch_id}
    for member_id, results in sorted(touched.items()):
        ordered = sorted(results, key=lambda r: r.checked_at)
        _decide(ctx, plan, member_id, list(by_member[member_id].values()), now, watermark,
                settings, ordered[-1].checked_at, trigger, [_result_ev(r) for r in ordered][-20:])
    return plan


def redecide_members(ctx: EngineContext, now: datetime, settings: Settings,
                     trigger: dict[str, Any], watermark: datetime | None = None) -> HealthPlan:
    """Decide every member of ``ctx`` again from its stored health rows alone.

    For members whose configuration changed (pool, monitors, a new GSLB over
    them) or whose results were applied while they could not be decided: the
    status becomes what the rows say now, whatever order things happened in.
    """
    plan = HealthPlan()
    by_member = ctx.states_by_member()
    for member_id in sorted(ctx.members):
        if ctx.members[member_id].pool_id in ctx.pools:
            _decide(ctx, plan, member_id, list(by_member.get(member_id, {}).values()), now,
                    watermark, settings, now, trigger, [])
    return plan


def _decide(ctx: EngineContext, plan: HealthPlan, member_id: str, states: list[HealthState],
            now: datetime, watermark: datetime | None, settings: Settings, when: datetime,
            trigger: dict[str, Any], results_ev: list[dict[str, Any]]) -> None:
    member = ctx.members[member_id]
    pool = ctx.pools[member.pool_id]
    monitors = [MonitorRule(m, ctx.monitors[m].delay) for m in pool.monitor_ids if m in ctx.monitors]
    previous = enum_text(member.operating_status)
    args = (previous, states, monitors, now, settings.quorum, settings.stale_intervals, pool.regions)
    decision = decide_member(*args, explain=False, watermark=watermark)
    moved = decision.status != previous
    if not moved and _stale_note(decision.reason) == _stale_note(member.status_reason):
        return   # same status, same kind of reason: nothing worth a write
    decision = decide_member(*args, explain=True, watermark=watermark)
    plan.members.append(MemberStatusChange(member_id=member_id, operating_status=decision.status,
                                           status_reason=decision.reason[:1024],
                                           expected_version=member.status_version))
    if not moved:
        return
    plan.moves.append(MemberMove(member_id, member.project_id, previous, decision.status, decision, when))
    evidence = dict(decision.evidence)
    evidence.update({"trigger": trigger, "results": results_ev})
    for gslb_id in _gslbs_of(ctx, member.pool_id):
        plan.history.append(HistoryEntryCreate(
            project_id=member.project_id, gslb_id=gslb_id, member_id=member_id,
            subject_type=SubjectType.MEMBER, subject_id=member_id, time=when,
            from_state=previous or NO_MONITOR, to_state=decision.status,
            reason=f"{endpoint_of(member)}: {decision.reason}"[:2048], evidence=evidence,
            dedupe_key=f"member:{member_id}:{previous}:{decision.status}:{when.isoformat()}:{gslb_id}"))


def _gslbs_of(ctx: EngineContext, pool_id: str) -> list[str | None]:
    """The GSLBs whose history shows this pool's members (one entry each), or [None]."""
    return list(ctx.gslbs_of_pool(pool_id)) or [None]


def endpoint_of(member: Any) -> str:
    """What a history reason names a member by: its address and port (its first served
    address for a neutron member), else its id."""
    addresses = list(member.endpoints or []) or ([member.address] if member.address else [])
    if not addresses:
        return f"member {member.id}"
    first = addresses[0]
    host = f"[{first}]" if ":" in first else first
    more = f" (+{len(addresses) - 1})" if len(addresses) > 1 else ""
    return f"{host}:{member.port}{more}"
