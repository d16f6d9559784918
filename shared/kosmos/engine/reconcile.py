"""``kosmos.engine.reconcile``: make every appliance serve what the conductor says.

For scope ``all``: remove the names of deleted or renamed GSLBs (tombstones,
acknowledged once removed; a name that a live GSLB serves again is only
acknowledged), then for every GSLB decide the desired answer, read back what
the appliance serves and repair any difference, retrying GSLBs left in ERROR.
The circuit breaker applies across all GSLBs. Scope ``gslb`` does the same for
one GSLB and bypasses the breaker: it is how an operator releases a held
change deliberately. An appliance that is down leaves its GSLBs in ERROR (and
tombstones unacknowledged) and the next reconcile after it is back converges.

Sharding: with a emitter and more GSLBs than ``reconcile_shard_size``, the
``all`` event removes deleted names and then only sends one ``gslbs`` event per
shard of ids (read as a plain list, no trees); each shard is reconciled like
``all`` (breaker included) by whichever engine instance receives it. Shard
events carry the cron's ``scheduled_at``, so a redelivered ``all`` sends the
same shards again and they change nothing more; shards of one ``scheduled_at``
that reach the same instance share its zone listings (``kosmos.engine.served``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from kosmos.contracts.events import ENGINE_RECONCILE, EngineReconcile
from kosmos.domain.breaker import NOT_TRIPPED
from kosmos.engine.deps import EngineDeps
from kosmos.engine.publish import Cause, publish
from kosmos.engine.served import ServedReader
from kosmos.errors import ApplianceError, ValidationError
from kosmos.logs import get_logger

log = get_logger(__name__)


def handle_reconcile(req: EngineReconcile, deps: EngineDeps) -> dict[str, Any]:
    gw = deps.gateway
    if req.scope == "gslb" and not req.gslb_id:
        raise ValidationError("gslb_id is required when scope is 'gslb'", field="gslb_id")
    if req.scope == "gslbs" and not req.gslb_ids:
        raise ValidationError("gslb_ids is required when scope is 'gslbs'", field="gslb_ids")
    now = deps.clock()
    if req.scope == "all" and deps.emitter is not None:
        names = gw.gslb_names()
        if len(names) > deps.settings.reconcile_shard_size:
            return _send_shards(deps, names, req.scheduled_at or now)
    ids = {"gslb": [req.gslb_id], "gslbs": req.gslb_ids}.get(req.scope)
    trees = gw.trees(ids)   # type: ignore[arg-type]
    removed = remove_deleted_names(deps, {t.gslb.fqdn for t in trees}) if req.scope == "all" else 0
    key = (req.scheduled_at or now).isoformat()
    cause = Cause(ENGINE_RECONCILE, f"reconcile:{key}", req.scheduled_at or now,
                  {"scope": req.scope})
    # scope gslb: the operator's release; otherwise judged when a repair would remove
    verdict = NOT_TRIPPED if req.scope == "gslb" else None
    # a shard of a reconcile (scheduled by the cron) shares its zone listings with the others
    run = key if req.scope == "gslbs" and req.scheduled_at else None
    reader = ServedReader(deps.appliances, deps.listings, run)
    report = publish(gw, deps.appliances, deps.settings, trees, cause, breaker=verdict,
                     read_back=reader, clock=deps.clock, skip_conflicts=True,
                     wakeups=deps.wakeups)
    log.info("reconciled", extra={"status": f"{len(trees)} gslbs, {len(report.drift)} drifted, "
                                            f"{len(report.errors)} errors, "
                                            f"{reader.listings} zone listings, "
                                            f"{reader.borrowed} borrowed"})
    return {"gslbs": len(trees), "drift": report.drift, "published": report.published,
            "held": report.held, "errors": report.errors, "conflicts": report.conflicts,
            "tombstones_removed": removed, "zone_listings": reader.listings,
            "zone_listings_borrowed": reader.borrowed}


def _send_shards(deps: EngineDeps, names: dict[str, str], when: datetime) -> dict[str, Any]:
    removed = remove_deleted_names(deps, set(names.values()))
    ids = sorted(names)
    size = deps.settings.reconcile_shard_size
    shards = [ids[i:i + size] for i in range(0, len(ids), size)]
    for n, chunk in enumerate(shards):
        deps.emitter.emit(ENGINE_RECONCILE,
                               EngineReconcile(scope="gslbs", gslb_ids=chunk, scheduled_at=when),
                               event_id=f"reconcile:{when.isoformat()}:{n}",
                               subject=f"shard/{n + 1}/{len(shards)}")
    log.info("reconcile sent as shards",
             extra={"status": f"{len(ids)} gslbs in {len(shards)} shards of up to {size}"})
    return {"gslbs": len(ids), "shards": len(shards), "tombstones_removed": removed}


def remove_deleted_names(deps: EngineDeps, live: set[str]) -> int:
    """Remove the names of deleted or renamed GSLBs (tombstones) unless one of ``live``
    serves the name again; returns how many tombstones were acknowledged."""
    done: list[str] = []
    for tomb in deps.gateway.tombstones():
        if tomb.fqdn not in live:
            try:
                deps.appliances.get(tomb.appliance).remove(tomb.fqdn, tomb.zone_name)
            except ApplianceError as exc:
                log.warning(f"cannot remove deleted name yet: {exc.message}",
                            extra={"gslb_id": tomb.gslb_id, "fqdn": tomb.fqdn})
                continue
        done.append(tomb.id)
    return deps.gateway.ack_tombstones(done) if done else 0
