"""What a user bought: the worst case from an endpoint's death to every resolver
seeing the new answer, from the monitors, regions, appliance and TTL configured.

- **detect**: regions probe a member out of phase (each region's grid is shifted
  by its share of the delay), so the first probe after a death comes within
  ``delay / R`` in some region and within ``n · delay / R`` in the ``n``
  regions quorum needs; each of them then needs ``max_retries_down`` failed
  probes, the last one taking up to ``timeout``. With recheck on suspicion,
  the first failed probe anywhere (within ``delay / R``) makes every region
  probe at ``recheck_delay``: the needed regions then reach
  ``max_retries_down`` failures within ``max_retries_down × recheck_delay``
  (after a results interval and the engine's turn to ask); the faster of the
  two ways counts. A member with several monitors goes down with the first
  that says so: the fastest monitor counts. A GSLB's detect is its slowest
  pool's.
- **decide**: the checker sends results every ``results_interval``; the engine
  is allowed ``ENGINE_S`` to decide and push (its measured lag is in ``/status``).
- **publish**: what the appliance takes to serve a pushed answer.
- **ttl**: resolvers may keep the old answer this long.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable

#: what the engine is allowed between receiving results and pushing the answer
ENGINE_S = 1.0


@dataclass(frozen=True)
class MonitorTiming:
    delay: float
    timeout: float
    max_retries_down: int
    recheck_delay: float | None = None   # None: no recheck on suspicion


@dataclass(frozen=True)
class FailoverTime:
    detect_s: float
    decide_s: float
    publish_s: float
    ttl_s: float
    worst_case_s: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def rechecks_pay(delay: float, recheck_delay: float) -> bool:
    """Whether rechecking a suspect is worth its probes and events: only when it at least
    triples the pace (at delay 2 s and a 1 s recheck the normal schedule is about as
    fast, and 60 suspects' rechecks measured slower than none)."""
    return 3 * float(recheck_delay) <= float(delay)


def regions_needed(regions: int, quorum: float) -> int:
    """How many regions must see a member down: more than ``quorum`` of them."""
    return min(regions, math.floor(regions * quorum) + 1)


def detect_s(monitor: MonitorTiming, regions: int, quorum: float,
             results_interval: float = 1.0) -> float:
    """Worst case from death to the last needed region's last failed probe."""
    r = max(1, regions)
    first = regions_needed(r, quorum) * monitor.delay / r
    plain = first + (monitor.max_retries_down - 1) * monitor.delay + monitor.timeout
    if monitor.recheck_delay is None or not rechecks_pay(monitor.delay, monitor.recheck_delay):
        return plain
    suspected = monitor.delay / r + monitor.timeout + results_interval + ENGINE_S
    rechecked = suspected + monitor.max_retries_down * monitor.recheck_delay + monitor.timeout
    return min(plain, rechecked)


def failover_time(pools: Iterable[tuple[list[MonitorTiming], int]], quorum: float,
                  results_interval: float, publish_s: float, ttl: int) -> FailoverTime | None:
    """``pools``: each pool's monitors and how many regions probe it. None when no pool
    is monitored (nothing is detected, so nothing fails over)."""
    per_pool = [min(detect_s(m, regions, quorum, results_interval) for m in monitors)
                for monitors, regions in pools if monitors]
    if not per_pool:
        return None
    detect = max(per_pool)
    decide = results_interval + ENGINE_S
    worst = detect + decide + publish_s + ttl
    return FailoverTime(round(detect, 2), round(decide, 2), round(publish_s, 2), float(ttl),
                        round(worst, 2))
