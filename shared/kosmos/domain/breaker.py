"""The circuit breaker: do not pull most endpoints of many GSLBs in one cycle.

A mass removal is more often the monitoring's failure (a checker region cut
off, a bad monitor change) than many applications failing together. So a
decision cycle in which at least ``min_gslbs`` GSLBs would each lose at least
``fraction`` of the endpoints they serve now is *held*: those GSLBs keep their
current answer, are marked HELD and the reason is recorded. Changes that add
endpoints or remove fewer are applied as usual. The breaker resets by itself
when a later cycle no longer trips it; an operator releases one GSLB
deliberately with a reconcile scoped to that GSLB, which the breaker ignores.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence


@dataclass(frozen=True)
class BreakerVerdict:
    held: frozenset[str]          # GSLB ids whose change is held
    heavy: frozenset[str]         # GSLB ids that would lose most endpoints
    reason: str


def removed_share(current: Sequence[str], desired: Sequence[str]) -> float:
    """Share of the currently served endpoints that ``desired`` drops (0 when none served)."""
    cur = set(current)
    if not cur:
        return 0.0
    return len(cur - set(desired)) / len(cur)


def evaluate(changes: Mapping[str, tuple[Sequence[str], Sequence[str]]], fraction: float,
             min_gslbs: int) -> BreakerVerdict:
    """``changes`` maps GSLB id → (current answer, desired answer) for this cycle."""
    heavy = frozenset(g for g, (cur, des) in changes.items()
                      if cur and removed_share(cur, des) >= fraction)
    if len(heavy) >= max(1, min_gslbs):
        return BreakerVerdict(
            heavy, heavy,
            f"circuit breaker: {len(heavy)} GSLBs would lose at least {fraction:.0%} of their "
            f"endpoints in one cycle (threshold {min_gslbs} GSLBs); change held")
    return BreakerVerdict(frozenset(), heavy, "")
