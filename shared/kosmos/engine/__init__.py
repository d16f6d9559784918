"""The engine function's handlers: decide, publish, explain.

``service.EngineService.handle(event_type, data)`` is what
``functions/engine/main.py`` calls (through ``entry.LazyEngine``);
``results.handle_results`` and ``reconcile.handle_reconcile`` do the work.

Decisions the code makes, in one place (rules in ``kosmos.domain``):

- Thresholds per (member, monitor, region) with capped counts: steady state
  writes no row, except a *heartbeat*: a row whose stored ``last_checked_at``
  is older than half the stale window (``stale_intervals × delay / 2``) is
  rewritten, because freshness across regions is judged from that time. With
  the defaults (3 intervals) that is one write per row every second result.
- Freshness is judged at the engine's watermark, the newest check time the
  instance has applied (``kosmos.engine.watermark``), while it is within a
  window of the clock: an engine running behind neither reads every row again
  nor lets one region outvote the others it has not caught up with. Results
  older than their window by the clock are no news.
- Members without a verdict yet (NO_MONITOR) are served: unknown is healthy
  until proven otherwise, which fits the fail-open ``all_down`` default.
- Circuit breaker (``kosmos.domain.breaker``): while most distinct endpoints
  of the deployment are down across sites at once, removals are held (HELD,
  one history entry each); one endpoint or one site going down never is. A
  cycle with member moves reads ``breaker.view``; a reconcile scoped to one
  GSLB releases it deliberately, and it releases itself once the evidence
  clears.
- Order of writes: appliance, then ``gslb.set_answers``, then ``health.write``
  last, so a failure anywhere is retried by redelivery without losing a
  transition; history dedupe keys derive from the results' check times so a
  redelivered batch writes nothing twice.
"""
