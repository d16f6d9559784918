"""WEIGHTED: the PRIORITY pool choice; each response draws from it by weight.

The first pool with at least ``min_healthy`` healthy members is the group.
Each query draws its members without replacement, each draw in proportion to
the member's *effective* weight, up to ``max_answers`` per family (all when
null), so over many queries each member's share follows its weight. A member
that comes back ONLINE starts at weight 0 and rises linearly to its weight
over ``slow_start`` seconds; the appliance computes the ramp at query time
from when the member turned ONLINE, so the share rises smoothly without the
engine publishing every step.
"""
from __future__ import annotations

import ipaddress
import random

from kosmos.domain.answers import AnswerDecision
from kosmos.domain.routing.common import (Ask, all_down, pool_evidence, qualifies, route_of,
                                          split_pool, targets)
from kosmos.domain.routing.route import Group, Route, Target, effective_weight

NAME = "WEIGHTED"
PER_QUERY = True


def decide(ask: Ask) -> AnswerDecision:
    pools_ev = []
    for tp in ask.pools():
        enabled, healthy = split_pool(tp)
        pools_ev.append(pool_evidence(tp, enabled, healthy))
        if qualifies(healthy, ask):
            route = route_of(NAME, ask, [Group(tp.pool.id, targets(healthy, ask))])
            return AnswerDecision(
                route.addresses(), "pool",
                f"pool {tp.pool.id} (priority {tp.priority}) has {len(healthy)} healthy "
                f"of {len(enabled)} enabled members, drawn by weight",
                tp.pool.id, {"pools": pools_ev}, route)

    def every() -> tuple[list[str], Route | None]:
        route = route_of(NAME, ask, [Group("all", targets(
            [m for tp in ask.pools() for m in split_pool(tp)[0]], ask, ramp=False))])
        return route.addresses(), route
    return all_down(ask, pools_ev, every)


def draw(ts: list[Target], limit: int | None, slow_start: int, now: float,
         rng: random.Random) -> list[str]:
    """Up to ``limit`` addresses drawn without replacement by effective weight (every
    target equally when all are at the very start of their ramp)."""
    weights = [effective_weight(t, slow_start, now) for t in ts]
    if not any(weights):
        weights = [1.0] * len(ts)
    pool = list(zip(ts, weights))
    out: list[str] = []
    n = len(pool) if limit is None else min(limit, len(pool))
    while len(out) < n:
        total = sum(w for _, w in pool)
        if total <= 0:
            break
        x = rng.random() * total
        for i, (t, w) in enumerate(pool):
            x -= w
            if x < 0 or i == len(pool) - 1:
                out.append(t.address)
                pool.pop(i)
                break
    return out


def pick(route: Route, family: int, client: ipaddress._BaseAddress | None, now: float,
         rng: random.Random) -> tuple[list[str], int]:
    """(addresses of ``family`` for one query, ECS scope: 0, the answer is the same
    for every client)."""
    ts = [t for g in route.groups[:1] for t in g.targets if t.family == family]
    return draw(ts, route.max_answers, route.slow_start, now, rng), 0
