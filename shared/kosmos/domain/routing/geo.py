"""GEO: the pool whose ``client_subnets`` contain the client; failed pools fall through.

Every pool that qualifies (at least ``min_healthy`` healthy members) is a
group, in priority order, with its client subnets. Per query, the client is
the EDNS Client Subnet address when the query carries one, else the
resolver's address; the group with the most specific subnet containing it
answers (ties: the higher priority). An unmatched client, or one whose pool
does not qualify (it is not in the route), gets the first group: the highest
priority pool that qualifies. For each record type only the groups with an
address of that family take part, so an IPv6 query falls through the same way. Inside the group the answer is like PRIORITY's:
every member, or its ``max_answers`` highest weights.

The ECS scope of an answer is the longest client subnet of the client's
family in the route: clients sharing that many leading bits get the same
answer, so a resolver may cache it for all of them.
"""
from __future__ import annotations

import ipaddress
import random

from kosmos.domain.answers import AnswerDecision
from kosmos.domain.routing.common import (Ask, all_down, pool_evidence, qualifies, route_of,
                                          split_pool, stable_cap, targets)
from kosmos.domain.routing.route import Group, Route

NAME = "GEO"
PER_QUERY = True


def _subnets(tp) -> tuple[str, ...]:
    return tuple(getattr(tp.pool, "client_subnets", None) or ())


def decide(ask: Ask) -> AnswerDecision:
    pools_ev, groups = [], []
    for tp in ask.pools():
        enabled, healthy = split_pool(tp)
        pools_ev.append(pool_evidence(tp, enabled, healthy))
        if qualifies(healthy, ask):
            groups.append(Group(tp.pool.id, targets(healthy, ask, ramp=False), _subnets(tp)))
    if groups:
        route = route_of(NAME, ask, groups)
        return AnswerDecision(
            route.addresses(), "pool",
            f"{len(groups)} of {len(pools_ev)} pools qualify; each client gets the pool of its "
            f"subnet, else pool {groups[0].pool_id}", groups[0].pool_id, {"pools": pools_ev}, route)

    def every() -> tuple[list[str], Route | None]:
        route = route_of(NAME, ask, [Group(tp.pool.id, targets(split_pool(tp)[0], ask, ramp=False),
                                           _subnets(tp)) for tp in ask.pools()
                                     if split_pool(tp)[0]])
        return route.addresses(), route
    return all_down(ask, pools_ev, every)


def group_for(route: Route, client: ipaddress._BaseAddress | None, family: int) -> int | None:
    """Index of the group answering ``client`` for ``family`` (see the module docstring);
    only groups with an address of that family take part. None: no group has one."""
    usable = [i for i, g in enumerate(route.groups) if any(t.family == family for t in g.targets)]
    if not usable:
        return None
    best, best_len = usable[0], -1
    if client is not None:
        for i, net in route.networks():
            if (i in usable and net.version == client.version and client in net
                    and net.prefixlen > best_len):
                best, best_len = i, net.prefixlen
    return best


def scope(route: Route, client: ipaddress._BaseAddress | None) -> int:
    if client is None:
        return 0
    return max((net.prefixlen for _, net in route.networks() if net.version == client.version),
               default=0)


def pick(route: Route, family: int, client: ipaddress._BaseAddress | None, now: float,
         rng: random.Random) -> tuple[list[str], int]:
    index = group_for(route, client, family)
    if index is None:
        return [], scope(route, client)
    ts = [t for t in route.groups[index].targets if t.family == family]
    return [t.address for t in stable_cap(ts, route.max_answers)], scope(route, client)
