"""PRIORITY: every healthy enabled member of the first pool that qualifies.

Pools are tried in priority order (lower first); a pool qualifies with at
least ``min_healthy`` healthy members. The answer is static: the same for
every query, so any appliance serves it as plain A/AAAA record sets. With
``max_answers``, each family keeps its highest weights (then lowest
addresses), a stable choice. With ``slow_start``, a member that comes back
ONLINE (none of its addresses served) is re-added only once it has been
ONLINE that long; the decision says when to look again (``wake_at``).
"""
from __future__ import annotations

from datetime import timedelta

from kosmos.contracts.resources import Member
from kosmos.domain.answers import AnswerDecision, canonical, member_addresses
from kosmos.domain.routing.common import (Ask, all_down, pool_evidence, qualifies, ramp_start,
                                          split_pool, stable_cap, targets)
from kosmos.domain.routing.route import Route

NAME = "PRIORITY"
PER_QUERY = False


def _held_back(m: Member, ask: Ask) -> bool:
    """Back ONLINE for less than ``slow_start`` and not served meanwhile."""
    if ask.slow_start <= 0 or m.status_changed_at is None:
        return False
    if (ask.now - m.status_changed_at).total_seconds() >= ask.slow_start:
        return False
    return ramp_start(m, ask) is not None and not set(member_addresses(m)) & set(ask.current)


def _static(members: list[Member], ask: Ask) -> tuple[list[str], str]:
    """The capped answer, and how it was cut ("" when it was not)."""
    every = targets(members, ask, ramp=False)
    kept = stable_cap(every, ask.max_answers)
    return canonical(t.address for t in kept), ask.cut_note(len(kept), len(every))


def decide(ask: Ask) -> AnswerDecision:
    pools_ev = []
    wake = None
    for tp in ask.pools():
        enabled, healthy = split_pool(tp)
        held = [m for m in healthy if _held_back(m, ask)]
        for m in held:
            due = m.status_changed_at + timedelta(seconds=ask.slow_start)
            wake = due if wake is None else min(wake, due)
        serving = [m for m in healthy if m not in held]
        ev = pool_evidence(tp, enabled, healthy)
        if held:
            ev["slow_start_held"] = [m.id for m in held]
        pools_ev.append(ev)
        if qualifies(serving, ask):
            answers, cut = _static(serving, ask)
            return AnswerDecision(
                answers, "pool",
                f"pool {tp.pool.id} (priority {tp.priority}) has {len(healthy)} healthy "
                f"of {len(enabled)} enabled members"
                + (f", {len(held)} held back by slow start" if held else "") + cut,
                tp.pool.id, {"pools": pools_ev}, wake_at=wake)

    def every() -> tuple[list[str], Route | None]:
        return _static([m for tp in ask.pools() for m in split_pool(tp)[0]], ask)[0], None
    d = all_down(ask, pools_ev, every)
    return d if wake is None else AnswerDecision(d.answers, d.rule, d.reason, d.pool_id,
                                                 d.evidence, d.route, wake)
