"""``kosmos.check.results``: thresholds, quorum, answers, then the health write.

Steps for one batch (one region's results):
0. results that would change nothing (the row as this instance knows it, counts
   capped, no heartbeat due) are set aside without a read (``kosmos.engine.steady``);
   a batch of only those costs no conductor call; rows due only for their heartbeat
   are rewritten from what the instance knows (one ``health.heartbeat``, no read),
   and so are rows whose counts move but not their verdict, or that results too
   late to be news move (one ``health.write``);
1. endpoint updates (neutron members) go to ``endpoints.set``;
2. once no other batch of this instance is applying full-path results of the same
   member, of any region (``kosmos.engine.row_locks``), ``engine.context`` reads the
   members, their pools, monitors and every regional state row; ``plan_health``
   applies the results;
3. GSLBs whose members moved (or whose endpoints were reported) are decided
   and published with the new statuses as overrides (``publish``);
4. ``health.write`` stores states, member statuses and history in one
   transaction. It comes after publishing so that a failure anywhere before
   it leaves the stored states as they were: the redelivered batch
   recomputes the same moves, publishing again is idempotent, and no
   transition is lost. A compare-and-set miss (another engine instance wrote
   first) re-reads and recomputes, up to ``settings.engine_retries`` times;
5. when members moved, the GSLBs are decided once more from the stored
   statuses (``_settle``), so concurrent instances converge on one answer.
"""
from __future__ import annotations

from typing import Any, Callable

from kosmos.contracts.events import CHECK_RESULTS, CheckResults
from kosmos.contracts.health import HealthWrite
from kosmos.domain.breaker import BreakerVerdict
from kosmos.engine.breaker_check import judge_cycle
from kosmos.engine.deps import EngineDeps
from kosmos.engine.gateway import EngineContext
from kosmos.engine.plan import HealthPlan, plan_health, redecide_members
from kosmos.engine.publish import Cause, is_held, publish
from kosmos.engine.steady import Rewrite
from kosmos.errors import KosmosError, StaleVersion, Unavailable
from kosmos.logs import get_logger

log = get_logger(__name__)


def handle_results(batch: CheckResults, deps: EngineDeps) -> dict[str, Any]:
    """Apply one results batch; returns a summary (counts) for logs and tests.

    Results the steady path sets aside or rewrites need no order. Those that take the
    full path (a read, then a compare-and-set write) are applied after any batch of
    this instance with full-path results of the same member, whatever their region
    (``kosmos.engine.row_locks``)."""
    gw = deps.gateway
    reported = [u.member_id for u in batch.endpoints]
    if batch.endpoints:
        gw.set_endpoints(batch.endpoints)
    now = deps.clock()
    watermark = deps.watermark.advance(batch.results, now)
    asks = None if deps.rechecks is None else (
        lambda member, monitor: deps.rechecks.may_ask(member, monitor, now))
    split = deps.steady.split(batch.region, batch.results, now, asks,
                              watermark) if deps.steady is not None else None
    results, quiet = (split.full, split.quiet) if split is not None else (batch.results, [])
    beats = _heartbeats(deps, split.beats) if split is not None else 0
    counted = _counts(deps, split.counts) if split is not None else 0
    for done, rewrites in ((beats, split.beats), (counted, split.counts)) if split else ():
        if done < len(rewrites):   # written meanwhile: the full path
            results = [*results, *(r for w in rewrites for r in w.results)]
    stale_unread = sum(1 for r, window in quiet if now - r.checked_at > window) + sum(
        1 for c in (split.counts if split is not None and counted else ())
        for r in c.results if now - r.checked_at > c.known.window)
    member_ids = {r.member_id for r in results} | set(reported)
    if not member_ids:   # steady state: nothing to read or decide
        return _summary(batch, len(quiet), stale_unread, _note_lag(deps, batch, stale_unread),
                        heartbeats=beats, counts=counted)
    with deps.row_locks.holding(member_ids) as held:
        if not held:
            log.warning("results of %s applied beside another batch of theirs, which held "
                        "them longer than %.0fs", batch.region, deps.row_locks.wait,
                        extra={"region": batch.region})
        return _full(batch, deps, results, member_ids, reported, len(quiet), stale_unread,
                     beats, counted)


def _full(total: CheckResults, deps: EngineDeps, results: list, member_ids: set[str],
          reported: list[str], quiet: int, stale_unread: int, beats: int,
          counted: int) -> dict[str, Any]:
    """Steps 2-5 for the results of ``total`` that take the full path (``results``)."""
    settings = deps.settings
    batch = total
    if len(results) != len(total.results):   # some set aside or already written
        batch = total.model_copy(update={"results": results})
    plan, report, gslbs, written, read = _apply(
        deps, batch, member_ids, reported,
        lambda ctx: plan_health(ctx, batch, deps.clock(), settings, deps.watermark.at))
    # Another instance may have applied another region's results for the same members
    # at the same time, each deciding from the rows before the other's write: a quorum
    # both completed would be seen by neither. Once ours are written, members whose
    # regional verdict moved without moving the member are decided again from the rows
    # as stored now; of two such writers, the later sees both. The rows alone are read
    # first: only when they move a member is everything read again and published.
    waiting = sorted(plan.verdicts_moved - {m.member_id for m in plan.moves})
    trigger = {"region": batch.region, "checker_id": batch.checker_id,
               "batch_id": batch.batch_id, "read_again": True} if waiting else {}
    if waiting and _rows_move_a_member(deps, read, waiting, trigger):
        again, again_report, again_gslbs, again_written, _ = _apply(
            deps, batch, set(waiting), [],
            lambda ctx: _moves_only(redecide_members(ctx, deps.clock(), settings, trigger,
                                                     deps.watermark.at)),
            recheck=False)
        if again.moves:
            plan.moves.extend(again.moves)
            written += again_written
            gslbs += again_gslbs
            report = again_report if report is None else report.merged(again_report)
    stale = plan.stale + stale_unread
    return _summary(total, quiet, stale, _note_lag(deps, total, stale), plan=plan,
                    written=written, gslbs=gslbs, report=report, heartbeats=beats,
                    counts=counted)


def _rewrite(deps: EngineDeps, rewrites: list[Rewrite], write: Callable[[list[Rewrite]], Any]) -> int:
    """Store rows ``SteadyCache.split`` set aside from what this instance knows, with
    ``write`` (one compare-and-set call, no read). All or none (0): a row another
    instance wrote since is a miss, and the results then take the full path, which
    reads it."""
    if not rewrites:
        return 0
    try:
        write(rewrites)
    except StaleVersion:
        deps.steady.forget({r.key[0] for r in rewrites})   # type: ignore[union-attr]
        return 0
    deps.steady.remember({r.key: r.stored() for r in rewrites})   # type: ignore[union-attr]
    return len(rewrites)


def _counts(deps: EngineDeps, counts: list[Rewrite]) -> int:
    """Rows whose counts moved but no verdict (or results too late to be news): one
    ``health.write`` of the new rows."""
    return _rewrite(deps, counts, lambda rs: deps.gateway.write_health(
        [HealthWrite(state=r.new, expected_version=r.known.state.version) for r in rs], [], []))


def _heartbeats(deps: EngineDeps, beats: list[Rewrite]) -> int:
    """Rows only their freshness makes due: one ``health.heartbeat`` (the newest
    result's time, reason and latency)."""
    return _rewrite(deps, beats, lambda rs: deps.gateway.heartbeat(
        rs[0].key[2], [(r.new, r.known.state.version) for r in rs]))


def _rows_move_a_member(deps: EngineDeps, read: EngineContext, member_ids: list[str],
                        trigger: dict[str, Any]) -> bool:
    """Whether the health rows of ``member_ids`` as stored now (read alone) move one of
    them, decided with the pools and monitors of ``read`` (this batch's full read, just
    before). A member whose pool is not in it is for the full read to decide."""
    now = deps.gateway.context(member_ids, states_only=True)
    if any(m.pool_id not in read.pools for m in now.members.values()):
        return True
    rows = EngineContext(members=now.members, pools=read.pools, monitors=read.monitors,
                         states=now.states, gslbs=read.gslbs)
    return bool(redecide_members(rows, deps.clock(), deps.settings, trigger,
                                 deps.watermark.at).moves)


def _moves_only(plan: HealthPlan) -> HealthPlan:
    """``plan`` if it moves a member, else an empty one (a reason alone waits for the next batch)."""
    return plan if plan.moves else HealthPlan()


def _apply(deps: EngineDeps, batch: CheckResults, member_ids: set[str], reported: list[str],
           make_plan: Callable[[EngineContext], HealthPlan], *,
           recheck: bool = True) -> tuple[HealthPlan, Any, int, int, EngineContext]:
    """Read, plan, hold or publish, write, settle; again on a compare-and-set miss.

    Returns the plan, the publish report (None when nothing was published), the
    number of GSLBs decided and of rows written, and what the plan was made from.
    """
    gw, settings = deps.gateway, deps.settings
    for _attempt in range(settings.engine_retries):
        ctx = gw.context(member_ids)
        plan = make_plan(ctx)
        statuses = plan.statuses()
        pools = {ctx.members[m].pool_id for m in [*statuses, *reported] if m in ctx.members}
        gslb_ids = sorted(g.id for g in ctx.gslbs.values() if any(l.pool_id in pools for l in g.pools))
        verdict: BreakerVerdict | None = None   # no moves: judged if a publish removes
        if plan.moves:   # judged with this cycle's moves laid over the stored state
            verdict = judge_cycle(gw, settings, [
                (ctx.members[m.member_id], m.to_status,
                 tuple(ctx.pools[ctx.members[m.member_id].pool_id].monitor_ids))
                for m in plan.moves])[0]
        report = cause = None
        if gslb_ids or plan.moves:
            times = [m.time for m in plan.moves] or [u.observed_at for u in batch.endpoints]
            when = max(times) if times else deps.clock()
            cause = Cause(CHECK_RESULTS, f"{batch.region}:{when.isoformat()}", when, {
                "region": batch.region, "checker_id": batch.checker_id,
                "batch_id": batch.batch_id, "endpoints_reported": reported,
                "member_moves": [{"member_id": m.member_id, "from": m.from_status,
                                  "to": m.to_status} for m in plan.moves]})
        try:
            if gslb_ids:
                trees = gw.trees(gslb_ids)
                if plan.moves:   # a held GSLB is left to the settle, judged once ours are stored
                    trees = [t for t in trees if not is_held(t.gslb)]
                report = publish(gw, deps.appliances, settings, trees, cause,
                                 statuses=statuses, clock=deps.clock, breaker=verdict,
                                 wakeups=deps.wakeups)
            written = 0 if plan.empty else gw.write_health(plan.writes, plan.members, plan.history)
        except StaleVersion:
            log.info("state moved meanwhile; re-reading", extra={"region": batch.region})
            gw.count_reread("results")
            continue
        if deps.steady is not None:
            deps.steady.remember(plan.known)
        if deps.rechecks is not None and recheck:
            deps.rechecks.after_results(ctx, batch.results, statuses, deps.clock())
        if plan.moves and cause is not None:
            _settle(deps, gslb_ids, cause)
        for move in plan.moves:
            log.info(f"member {move.from_status} -> {move.to_status}",
                     extra={"member_id": move.member_id, "region": batch.region,
                            "status": move.to_status})
        return plan, report, len(gslb_ids), written, ctx
    raise Unavailable("health state kept changing under concurrent writers; retry the batch",
                      retry_after=1.0)


def _summary(batch: CheckResults, steady: int, stale: int, lag: float | None, *, plan=None,
             written: int = 0, gslbs: int = 0, report=None, heartbeats: int = 0,
             counts: int = 0) -> dict[str, Any]:
    """Counts of one batch (all its results) for logs and tests."""
    return {"results": len(batch.results), "steady": steady, "heartbeats": heartbeats,
            "counts": counts,
            "ignored": plan.ignored if plan else 0, "stale": stale,
            "lag_s": lag, "writes": len(plan.writes) if plan else 0, "written": written,
            "moves": len(plan.moves) if plan else 0, "gslbs": gslbs,
            "published": report.published if report else [],
            "held": report.held if report else [], "errors": report.errors if report else []}


def _note_lag(deps: EngineDeps, batch: CheckResults, stale: int) -> float | None:
    """Measure how late this batch came (``kosmos.engine.lag``); record it when due.

    The record is a gauge, not part of the batch's outcome: a failure to store
    it is logged and tried again with the next batch, never redelivers this one.
    """
    if not batch.results or deps.lag is None:
        return None
    now = deps.clock()
    lag = max(0.0, (now - max(r.checked_at for r in batch.results)).total_seconds())
    if deps.lag.observe(batch.region, lag, stale, now):
        try:
            deps.gateway.record_lag(batch.region, lag, stale, now)
        except KosmosError as exc:
            deps.lag.forget(batch.region)
            log.info("engine lag not recorded: %s", exc, extra={"region": batch.region})
    return round(lag, 3)


def _settle(deps: EngineDeps, gslb_ids: list[str], cause: Cause) -> None:
    """Publish once more from the stored statuses, now that ours are written.

    Another engine instance may have published the same GSLB from a view that
    lacked our (then unwritten) moves; deciding again from the database after
    our write closes that window in the common case. The breaker is judged on
    the deployment as stored now: held GSLBs are released here when it no
    longer trips, and another instance's hold stands when it does. Of two
    instances settling, the later sees both writes. A conflict here means
    another instance is publishing it right now; reconcile is the backstop.
    """
    gw = deps.gateway
    verdict, held = judge_cycle(gw, deps.settings)
    ids = sorted(set(gslb_ids) | (set() if verdict.hold else set(held)))
    if not ids:
        return
    try:
        publish(gw, deps.appliances, deps.settings, gw.trees(ids), cause, clock=deps.clock,
                breaker=verdict, wakeups=deps.wakeups)
    except StaleVersion:
        log.info("GSLB being published by another instance; left to it and to reconcile")
