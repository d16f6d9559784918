"""A batch whose probes complete faster than one event's worth per results interval
still hands its results over as they come, not a thousand per interval."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.adapters.emitter import InMemoryEmitter
from kosmos.checker.service import CheckerService
from kosmos.config import Settings
from kosmos.contracts.events import CheckBatch
from kosmos.probes.base import Check, Outcome, Target


class Instant(Check):
    """Answers at once: the batch's own overhead is all there is."""

    name = "HTTP"
    probes_address = False

    async def probe(self, target: Target) -> Outcome:
        return Outcome(True, "HTTP 200", 0.1)


def test_three_thousand_results_a_second_are_not_handed_over_a_thousand_at_a_time():
    n, window = 3000, 2.5
    settings = Settings(results_interval=1.0, batch_size=n)
    bus = InMemoryEmitter()
    service = CheckerService(settings, ConductorClient(InProcessTransport(lambda e: (200, {"result": {}}))),
                             bus, {"HTTP": Instant()}, checker_id="test")
    handed: list[int] = []
    hand_over = service.outbox.hand_over

    def recorded(region, batch_id, results, endpoints, urgent=False, timeout=30.0):
        handed.append(len(results))
        hand_over(region, batch_id, results, endpoints, urgent, timeout)
    service.outbox.hand_over = recorded
    start = datetime.now(timezone.utc) + timedelta(seconds=0.2)
    # each on a port of its own: separate probes, none shared (kosmos.probes.identity)
    checks = [{"member_id": f"m{i}", "pool_id": "p", "project_id": "t", "address": "192.0.2.1",
               "port": 10_000 + i, "monitor": {"id": "mon", "type": "HTTP", "delay": 1, "timeout": 0.5,
                                       "max_retries": 1, "max_retries_down": 1}}
              for i in range(n)]
    batch = CheckBatch(region="R", batch_id="R/0", window_start=start,
                       deadline=start + timedelta(seconds=window), checks=checks)
    with asyncio.Runner() as runner:
        stats = runner.run(service.run_batch(batch))
    sent = sum(len(e.data["results"]) for e in bus.events)
    # Every check probed at least once (twice on an idle machine: delay 1 s, 2.5 s window).
    assert stats.probes >= n and sent == stats.probes
    # While a hand-over waits for the outbox (up to an interval), thousands more complete:
    # the next one takes them all. Chunks of 1,000 would leave them queued for seconds.
    assert max(handed) > 1000, handed
