"""``kosmos.engine.reconcile``: make every appliance serve what the conductor says.

For scope ``all``: remove the names of deleted or renamed GSLBs (tombstones,
acknowledged once removed; a name that a live GSLB serves again is only
acknowledged), then for every GSLB decide the desired answer, read back what
the appliance serves and repair any difference, retrying GSLBs left in ERROR.
The circuit breaker applies across all GSLBs. Scope ``gslb`` does the same for
one GSLB and bypasses the breaker: it is how an operator releases a held
change deliberately. An appliance that is down leaves its GSLBs in ERROR (and
tombstones unacknowledged) and the next reconcile after it is back converges.
"""
from __future__ import annotations

from typing import Any

from kosmos.contracts.events import ENGINE_RECONCILE, EngineReconcile
from kosmos.domain.breaker import NOT_TRIPPED
from kosmos.engine.breaker_check import cycle_verdict
from kosmos.engine.deps import EngineDeps
from kosmos.engine.publish import Cause, ServedReader, publish
from kosmos.errors import ApplianceError, ValidationError
from kosmos.logs import get_logger

log = get_logger(__name__)


def handle_reconcile(req: EngineReconcile, deps: EngineDeps) -> dict[str, Any]:
    gw = deps.gateway
    if req.scope == "gslb" and not req.gslb_id:
        raise ValidationError("gslb_id is required when scope is 'gslb'", field="gslb_id")
    now = deps.clock()
    trees = gw.trees([req.gslb_id] if req.scope == "gslb" else None)   # type: ignore[list-item]
    removed = remove_deleted_names(deps, {t.gslb.fqdn for t in trees}) if req.scope == "all" else 0
    key = (req.scheduled_at or now).isoformat()
    cause = Cause(ENGINE_RECONCILE, f"reconcile:{key}", req.scheduled_at or now,
                  {"scope": req.scope})
    verdict = cycle_verdict(gw.breaker_view(deps.settings.circuit_breaker_monitor_window), [],
                            deps.settings) if req.scope == "all" else NOT_TRIPPED
    reader = ServedReader(deps.appliances)
    report = publish(gw, deps.appliances, deps.settings, trees, cause, breaker=verdict,
                     read_back=reader, clock=deps.clock, skip_conflicts=True)
    log.info("reconciled", extra={"status": f"{len(trees)} gslbs, {len(report.drift)} drifted, "
                                            f"{len(report.errors)} errors, "
                                            f"{reader.listings} zone listings"})
    return {"gslbs": len(trees), "drift": report.drift, "published": report.published,
            "held": report.held, "errors": report.errors, "conflicts": report.conflicts,
            "tombstones_removed": removed, "zone_listings": reader.listings}


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
