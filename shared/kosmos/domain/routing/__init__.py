"""Routing policies: which healthy members a GSLB's answer holds, and how per query.

A policy is one module here with ``NAME``, ``PER_QUERY`` (whether answers
depend on the query, so the appliance must pick), ``decide(ask)`` (the
engine's decision: an ``AnswerDecision``, with a ``Route`` when per query)
and, when per query, ``pick(route, family, client, now, rng)``. Adding one is
a module, its entry in ``POLICIES`` and its tests.

- ``PRIORITY`` (``priority``): every healthy member of the first pool that
  qualifies; static.
- ``WEIGHTED`` (``weighted``): the same pool; each response drawn by weight.
- ``GEO`` (``geo``): the pool of the client's subnet; failed pools fall through.
"""
from __future__ import annotations

import ipaddress
import random
import time
from datetime import datetime
from types import ModuleType
from typing import Sequence

from kosmos.contracts.common import utcnow
from kosmos.contracts.conductor import GslbTree
from kosmos.domain.answers import AnswerDecision
from kosmos.domain.routing import geo, priority, weighted
from kosmos.domain.routing.common import Ask
from kosmos.domain.routing.route import Group, Route, Target, effective_weight

__all__ = ["POLICIES", "Ask", "Group", "Route", "Target", "decide", "effective_weight",
           "pick", "policy_of"]

POLICIES: dict[str, ModuleType] = {m.NAME: m for m in (priority, weighted, geo)}


def policy_of(gslb) -> str:
    """The GSLB's routing policy name (PRIORITY when it has none)."""
    value = getattr(gslb, "routing", None) or priority.NAME
    return value.value if hasattr(value, "value") else str(value)


def effective_max(gslb, limit: int | None) -> int | None:
    """The GSLB's ``max_answers`` cut to the appliance's ``limit`` (None: no cap)."""
    own = getattr(gslb, "max_answers", None)
    caps = [c for c in (own, limit) if c is not None]
    return min(caps) if caps else None


def decide(tree: GslbTree, current: Sequence[str], now: datetime | None = None,
           min_healthy: int = 1, current_route: Route | None = None,
           limit: int | None = None) -> AnswerDecision:
    """The answer ``tree``'s GSLB should serve now, by its routing policy."""
    ask = Ask(tree, list(current), now or utcnow(), min_healthy, current_route,
              effective_max(tree.gslb, limit), limit)
    return POLICIES[policy_of(tree.gslb)].decide(ask)


def pick(route: Route, family: int, client: str | None = None, now: float | None = None,
         rng: random.Random | None = None) -> tuple[list[str], int]:
    """One query's addresses of ``family`` (4 or 6) from ``route``, and the ECS scope
    prefix length the answer depends on (0: the same for every client)."""
    policy = POLICIES.get(route.policy)
    if policy is None or not policy.PER_QUERY:
        ts = [t.address for g in route.groups[:1] for t in g.targets if t.family == family]
        return ts, 0
    ip = ipaddress.ip_address(client) if client else None
    return policy.pick(route, family, ip, time.time() if now is None else now,
                       rng or random)
