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
from kosmos.domain.breaker import BreakerVerdict, DownMember, judge
from kosmos.domain.failover import regions_needed
from kosmos.domain.quorum import OFFLINE
from kosmos.engine.gateway import BreakerView


def cycle_verdict(view: BreakerView, moves: Iterable[tuple[Member, str, tuple[str, ...]]],
                  settings: Settings) -> BreakerVerdict:
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
