"""The steps the routing policies share: walk the pools, build targets, fail open."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Sequence

from kosmos.contracts.common import OperatingStatus
from kosmos.contracts.conductor import GslbTree, GslbTreePool
from kosmos.contracts.resources import AllDownPolicy, Member
from kosmos.domain.answers import (AnswerDecision, address_key, canonical, is_enabled, is_healthy,
                                   member_addresses, status_of)
from kosmos.domain.routing.route import Group, Route, Target


@dataclass(frozen=True)
class Ask:
    """What a policy decides from: the GSLB's tree, what it serves now, and when."""

    tree: GslbTree
    current: Sequence[str]
    now: datetime
    min_healthy: int = 1
    current_route: Route | None = None
    max_answers: int | None = None     # the GSLB's, already cut to the appliance's limit
    limit: int | None = None           # the appliance's limit (Designate's record quota)

    def cut_note(self, kept: int, of: int) -> str:
        """How a capped answer was cut, for its reason ("" when nothing was)."""
        if kept >= of:
            return ""
        if self.limit is not None and self.max_answers == self.limit:
            return f"; cut to the appliance's limit of {self.limit} addresses per family"
        return f"; {kept} of {of} addresses by max_answers"

    @property
    def slow_start(self) -> int:
        return int(getattr(self.tree.gslb, "slow_start", 0) or 0)

    def pools(self) -> list[GslbTreePool]:
        return sorted(self.tree.pools, key=lambda p: p.priority)


def pool_evidence(tp: GslbTreePool, enabled: list[Member], healthy: list[Member]) -> dict[str, Any]:
    return {"pool_id": tp.pool.id, "priority": tp.priority, "enabled": len(enabled),
            "healthy": len(healthy), "members": {m.id: status_of(m) for m in tp.members}}


def split_pool(tp: GslbTreePool) -> tuple[list[Member], list[Member]]:
    """(enabled members, the healthy ones among them)."""
    enabled = [m for m in tp.members if is_enabled(m)]
    return enabled, [m for m in enabled if is_healthy(m)]


def qualifies(healthy: list[Member], ask: Ask) -> bool:
    return len(healthy) >= max(1, ask.min_healthy) and any(member_addresses(m) for m in healthy)


def ramp_start(member: Member, ask: Ask) -> float | None:
    """Epoch seconds the member turned ONLINE, when the GSLB ramps members (slow_start)."""
    if ask.slow_start <= 0 or status_of(member) != OperatingStatus.ONLINE.value:
        return None
    changed = member.status_changed_at
    return changed.timestamp() if changed is not None else None


def targets(members: Iterable[Member], ask: Ask, ramp: bool = True) -> tuple[Target, ...]:
    """One target per address (the highest weight when members share one), in
    canonical order; ``ramp`` carries each member's slow-start start."""
    best: dict[str, Target] = {}
    for m in members:
        since = ramp_start(m, ask) if ramp else None
        for a in member_addresses(m):
            key = address_key(a)
            if key is None:
                continue
            address = key[2]
            if address not in best or m.weight > best[address].weight:
                best[address] = Target(address, m.weight, since)
    order = {a: i for i, a in enumerate(canonical(best))}
    return tuple(sorted(best.values(), key=lambda t: order[t.address]))


def stable_cap(ts: Sequence[Target], limit: int | None) -> list[Target]:
    """At most ``limit`` targets of each family: the highest weights, then lowest addresses."""
    if limit is None:
        return list(ts)
    out: list[Target] = []
    for family in (4, 6):
        same = [t for t in ts if t.family == family]
        same.sort(key=lambda t: (-t.weight, address_key(t.address)[1]))   # type: ignore[index]
        out.extend(same[:limit])
    return out


def route_of(policy: str, ask: Ask, groups: Iterable[Group]) -> Route:
    return Route(policy, tuple(groups), ask.max_answers, ask.slow_start)


def all_down(ask: Ask, pools_ev: list[dict[str, Any]],
             every: Callable[[], tuple[list[str], Route | None]]) -> AnswerDecision:
    """No pool qualifies: the GSLB's ``all_down`` policy. ``every(members)`` builds the
    policy's fail-open decision (answers, route) from every enabled member."""
    policy = AllDownPolicy(ask.tree.gslb.all_down)
    evidence = {"pools": pools_ev, "all_down": policy.value}
    if policy == AllDownPolicy.LAST_KNOWN:
        route = ask.current_route
        return AnswerDecision(route.addresses() if route else canonical(ask.current),
                              "all_down:LAST_KNOWN",
                              "no pool has enough healthy members: keeping the last answer",
                              None, evidence, route)
    if policy == AllDownPolicy.NONE:
        return AnswerDecision([], "all_down:NONE",
                              "no pool has enough healthy members: publishing nothing",
                              None, evidence)
    answers, route = every()
    return AnswerDecision(answers, "all_down:ALL",
                          "no pool has enough healthy members: failing open to every "
                          "enabled member", None, evidence, route)
