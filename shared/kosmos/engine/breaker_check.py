"""The circuit breaker's verdict for one decision cycle (rule: ``kosmos.domain.breaker``).

The conductor's ``breaker.view`` says which members are down as stored; the
cycle's own moves, not yet written, are laid over it, so the verdict is on
the deployment as it will be once this cycle is applied.
"""
from __future__ import annotations

from typing import Iterable

from kosmos.config import Settings
from kosmos.contracts.resources import Member
from kosmos.domain.answers import is_enabled, member_addresses
from kosmos.domain.breaker import NOT_TRIPPED, BreakerVerdict, DownMember, judge
from kosmos.domain.failover import regions_needed
from kosmos.domain.quorum import OFFLINE
from kosmos.engine.gateway import BreakerView, EngineGateway

Move = tuple[Member, str, tuple[str, ...]]


def judge_cycle(gateway: EngineGateway, settings: Settings,
                moves: Iterable[Move] = ()) -> tuple[BreakerVerdict, list[str]]:
    """The verdict for a cycle making ``moves`` (none: the deployment as stored now) and
    the GSLBs held now. Fewer members down or suspect than the floor of endpoints cannot
    trip it (each member has at least one endpoint), nor fewer distinct endpoints (one
    endpoint behind a thousand names is one), and with no GSLB held there is nothing to
    release: one cheap read decides, the full view only when needed."""
    moves = list(moves)
    regions = suspect_regions(settings)
    offline, held, suspects, endpoints = gateway.breaker_summary(regions)
    going = [member for member, status, _monitors in moves if status == OFFLINE]
    newly = {(a, m.port) for m in going for a in (member_addresses(m) or [m.id])}
    at_most = min(offline + len(going) + suspects, endpoints + len(newly))
    if held == 0 and at_most < settings.circuit_breaker_min_endpoints:
        return NOT_TRIPPED, []
    view = gateway.breaker_view(settings.circuit_breaker_monitor_window, regions,
                                {m for _member, _status, ids in moves for m in ids})
    return cycle_verdict(view, moves, settings), list(view.held)


def cycle_verdict(view: BreakerView, moves: Iterable[Move], settings: Settings) -> BreakerVerdict:
    """``moves``: (member, its new status, its pool's monitor ids) for this cycle's moves."""
    down, suspect = dict(view.down), dict(view.suspect)
    for member, status, monitor_ids in moves:
        suspect.pop(member.id, None)
        if status == OFFLINE and is_enabled(member):
            down[member.id] = DownMember(member.id, tuple(member_addresses(member)), member.port,
                                         member.region, tuple(monitor_ids))
        else:
            down.pop(member.id, None)
    return judge(view.total_endpoints, down.values(), settings.circuit_breaker_fraction,
                 settings.circuit_breaker_min_endpoints, view.monitors_changed,
                 suspect=suspect.values())


def suspect_regions(settings: Settings) -> int:
    """In how many regions a member's last probe must have failed to be a suspect: as many
    as quorum needs to take it down (so one region's checker failing alone makes none)."""
    return regions_needed(len(settings.regions), settings.quorum)
