"""``kosmos.engine.decide``: a user's change reaches DNS now, not at the next reconcile.

The conductor sends it after a committed write that may change the answers
of some GSLBs (created, updated or deleted; their pools, members or
monitors changed). For those GSLBs:

1. the names of deleted or renamed GSLBs are removed from their appliances;
2. every member of their pools is decided again from its stored health rows,
   so a member whose results were applied before its pool, monitor or GSLB
   was in place (or raced a change of them) gets the status its rows say;
3. their answers are decided and pushed; the history entry names the change
   (operation, resource, project, user, request) and the new answer.

The circuit breaker does not apply: a user's own change is deliberate. The
handler is idempotent: it decides from what is stored when it runs, so a
duplicate, late or reordered event repeats a decision that changes nothing.
"""
from __future__ import annotations

from typing import Any

from kosmos.contracts.events import ENGINE_DECIDE, EngineDecide
from kosmos.engine.deps import EngineDeps
from kosmos.engine.gateway import EngineContext
from kosmos.engine.plan import redecide_members
from kosmos.engine.publish import Cause, publish
from kosmos.engine.reconcile import remove_deleted_names
from kosmos.errors import StaleVersion, Unavailable
from kosmos.logs import get_logger

log = get_logger(__name__)


def handle_decide(req: EngineDecide, deps: EngineDeps) -> dict[str, Any]:
    gw, settings = deps.gateway, deps.settings
    change = req.cause.model_dump(mode="json")
    trigger = {"change": change}
    for _attempt in range(settings.engine_retries):
        trees = gw.trees(sorted(set(req.gslb_ids)))
        member_ids = {m.id for t in trees for p in t.pools for m in p.members}
        if deps.steady is not None:   # their monitors or pools may have changed: read afresh
            deps.steady.forget(member_ids)
        removed = remove_deleted_names(deps, {t.gslb.fqdn for t in trees})
        now = deps.clock()
        ctx = gw.context(member_ids) if member_ids else EngineContext()
        plan = redecide_members(ctx, now, settings, trigger, deps.watermark.at)
        cause = Cause(ENGINE_DECIDE, f"change:{req.cause.request_id or ''}:{req.cause.at.isoformat()}",
                      now, {"change": change, "member_moves": [
                          {"member_id": m.member_id, "from": m.from_status, "to": m.to_status}
                          for m in plan.moves]}, note=_who(req) + ": ")
        try:
            if not plan.empty:
                gw.write_health([], plan.members, plan.history)
            report = publish(gw, deps.appliances, settings, trees, cause,
                             statuses=plan.statuses(), clock=deps.clock, wakeups=deps.wakeups)
        except StaleVersion:
            log.info("state moved meanwhile; deciding again", extra={"status": req.cause.op})
            gw.count_reread("change")
            continue
        log.info("decided after %s %s", req.cause.op, req.cause.resource_id,
                 extra={"status": f"{len(trees)} gslbs, {len(plan.moves)} member moves, "
                                  f"{len(report.published)} published"})
        return {"gslbs": len(trees), "moves": len(plan.moves), "published": report.published,
                "errors": report.errors, "tombstones_removed": removed}
    raise Unavailable("state kept changing under concurrent writers; retry the change event",
                      retry_after=1.0)



def _who(req: EngineDecide) -> str:
    """"gslb.update of gslb <id> by user <u> (project <p>)", for the history reason."""
    c = req.cause
    by = f"user {c.user_id} (project {c.project_id})" if c.user_id else f"project {c.project_id}"
    return f"{c.op} of {c.resource} {c.resource_id} by {by}"
