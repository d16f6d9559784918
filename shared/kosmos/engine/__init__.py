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
- Members without a verdict yet (NO_MONITOR) are served: unknown is healthy
  until proven otherwise, which fits the fail-open ``all_down`` default.
- Circuit breaker: a cycle (one results batch, or one reconcile) that would
  remove at least ``circuit_breaker_fraction`` of the served endpoints of at
  least ``circuit_breaker_gslbs`` GSLBs is held: those GSLBs keep their answer,
  publish_status HELD, one history entry each. A reconcile scoped to one GSLB
  releases it deliberately; it also resumes by itself once no longer tripping.
- Order of writes: appliance, then ``gslb.set_answer``, then ``health.write``
  last, so a failure anywhere is retried by redelivery without losing a
  transition; history dedupe keys derive from the results' check times so a
  redelivered batch writes nothing twice.
"""
