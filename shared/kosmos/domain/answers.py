"""Per GSLB: which addresses to publish.

Pools are tried in priority order (lower first). A member is *enabled* when
``admin_state_up`` and ``weight`` > 0; disabled members are never served (a
weight cannot be expressed in plain A/AAAA answers, so any positive weight
just means "serve"). A member is *healthy* when it is ONLINE, or NO_MONITOR:
a member without a verdict yet (new, or in a pool without monitors) is treated
as healthy until proven otherwise, as Route 53 and Octavia do, which fits the
fail-open default. The answer is the addresses of the enabled healthy members
of the first pool with at least ``min_healthy`` of them.

When no pool qualifies the GSLB's ``all_down`` policy decides: ``ALL`` (fail
open) publishes every enabled member of every pool, ``LAST_KNOWN`` keeps the
answer currently published, ``NONE`` publishes nothing.

Answers are canonical: unique addresses, IPv4 before IPv6, each family in
numeric order, so equal sets compare equal.
"""
from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from kosmos.contracts.common import OperatingStatus
from kosmos.contracts.conductor import GslbTree
from kosmos.contracts.resources import AllDownPolicy, Member

HEALTHY = (OperatingStatus.ONLINE.value, OperatingStatus.NO_MONITOR.value)


@dataclass(frozen=True)
class AnswerDecision:
    answers: list[str]
    rule: str                      # "pool", "all_down:ALL", "all_down:LAST_KNOWN", "all_down:NONE"
    reason: str
    pool_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def canonical(addresses: Iterable[str]) -> list[str]:
    """Unique, valid addresses, IPv4 first, numerically sorted; invalid ones dropped."""
    ips = set()
    for a in addresses:
        try:
            ips.add(ipaddress.ip_address(str(a).strip()))
        except ValueError:
            continue
    return [str(ip) for ip in sorted(ips, key=lambda ip: (ip.version, int(ip)))]


def split_families(addresses: Iterable[str]) -> tuple[list[str], list[str]]:
    """(IPv4 for A records, IPv6 for AAAA records) of canonical ``addresses``."""
    ordered = canonical(addresses)
    return ([a for a in ordered if ":" not in a], [a for a in ordered if ":" in a])


def answer_digest(addresses: Sequence[str]) -> str:
    """A short stable digest of an answer, for dedupe keys."""
    return hashlib.sha256(",".join(canonical(addresses)).encode()).hexdigest()[:16]


def _status(member: Member) -> str:
    s = member.operating_status
    return s.value if hasattr(s, "value") else str(s)


def is_enabled(member: Member) -> bool:
    return bool(member.admin_state_up) and member.weight > 0


def is_healthy(member: Member) -> bool:
    return _status(member) in HEALTHY


def member_addresses(member: Member) -> list[str]:
    """What a member serves: its discovered endpoints, else its configured address."""
    if member.endpoints:
        return list(member.endpoints)
    return [member.address] if member.address else []


def decide_answer(tree: GslbTree, current: Sequence[str], min_healthy: int = 1) -> AnswerDecision:
    """The answer a GSLB should publish now (see the module docstring)."""
    pools_ev: list[dict[str, Any]] = []
    for tp in sorted(tree.pools, key=lambda p: p.priority):
        enabled = [m for m in tp.members if is_enabled(m)]
        healthy = [m for m in enabled if is_healthy(m)]
        pools_ev.append({"pool_id": tp.pool.id, "priority": tp.priority,
                         "enabled": len(enabled), "healthy": len(healthy),
                         "members": {m.id: _status(m) for m in tp.members}})
        addresses = canonical(a for m in healthy for a in member_addresses(m))
        if len(healthy) >= max(1, min_healthy) and addresses:
            return AnswerDecision(
                addresses, "pool",
                f"pool {tp.pool.id} (priority {tp.priority}) has {len(healthy)} healthy "
                f"of {len(enabled)} enabled members", tp.pool.id, {"pools": pools_ev})
    policy = AllDownPolicy(tree.gslb.all_down)
    evidence = {"pools": pools_ev, "all_down": policy.value}
    if policy == AllDownPolicy.LAST_KNOWN:
        return AnswerDecision(canonical(current), "all_down:LAST_KNOWN",
                              "no pool has enough healthy members: keeping the last answer",
                              None, evidence)
    if policy == AllDownPolicy.NONE:
        return AnswerDecision([], "all_down:NONE",
                              "no pool has enough healthy members: publishing nothing",
                              None, evidence)
    every = canonical(a for tp in tree.pools for m in tp.members if is_enabled(m)
                      for a in member_addresses(m))
    return AnswerDecision(every, "all_down:ALL",
                          "no pool has enough healthy members: failing open to every "
                          "enabled member", None, evidence)
