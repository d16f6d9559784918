"""Operating status of a pool from its members', and of a GSLB from its pools'.

Derived, never edited: the conductor stores them as members move.
"""
from __future__ import annotations

from typing import Iterable

from kosmos.contracts.common import OperatingStatus, enum_text

ONLINE, DEGRADED = OperatingStatus.ONLINE.value, OperatingStatus.DEGRADED.value
OFFLINE, NO_MONITOR = OperatingStatus.OFFLINE.value, OperatingStatus.NO_MONITOR.value


def pool_status(has_monitors: bool, member_statuses: Iterable[object]) -> str:
    """ONLINE when every enabled member is, DEGRADED when some are; NO_MONITOR without
    monitors or while no member has a verdict; else OFFLINE (also with no member)."""
    statuses = [enum_text(s) for s in member_statuses]
    if not has_monitors:
        return NO_MONITOR
    if not statuses:
        return OFFLINE
    online = statuses.count(ONLINE)
    if online == len(statuses):
        return ONLINE
    if online:
        return DEGRADED
    if all(s == NO_MONITOR for s in statuses):
        return NO_MONITOR
    return OFFLINE


def gslb_status(pool_statuses: Iterable[object]) -> str:
    """ONLINE when every pool is, DEGRADED when some serve, NO_MONITOR when none is
    monitored; else OFFLINE (also with no pool)."""
    statuses = [enum_text(s) for s in pool_statuses]
    if not statuses:
        return OFFLINE
    if all(s == ONLINE for s in statuses):
        return ONLINE
    if any(s in (ONLINE, DEGRADED) for s in statuses):
        return DEGRADED
    if all(s == NO_MONITOR for s in statuses):
        return NO_MONITOR
    return OFFLINE
