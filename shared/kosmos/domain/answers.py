"""What every routing policy shares: answers, members' state, the decision.

A member is *enabled* when ``admin_state_up`` and ``weight`` > 0; disabled
members are never served. A member is *healthy* when it is ONLINE, or
NO_MONITOR: a member without a verdict yet (new, or in a pool without
monitors) is treated as healthy until proven otherwise, as Route 53 and
Octavia do, which fits the fail-open default. Which healthy members a GSLB
serves, and how, is its routing policy's (``kosmos.domain.routing``).

Answers are canonical: unique addresses, IPv4 before IPv6, each family in
numeric order, so equal sets compare equal.
"""
from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime
from typing import Any, Iterable, Sequence

from kosmos.contracts.common import OperatingStatus, enum_text
from kosmos.contracts.resources import Member

HEALTHY = (OperatingStatus.ONLINE.value, OperatingStatus.NO_MONITOR.value)


@dataclass(frozen=True)
class AnswerDecision:
    answers: list[str]
    rule: str                      # "pool", "all_down:ALL", "all_down:LAST_KNOWN", "all_down:NONE"
    reason: str
    pool_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    # WEIGHTED and GEO: what the appliance picks from per query (``answers`` is then
    # every address some query may get); None: ``answers`` is the whole answer.
    route: Any = None
    # when this decision should be made again (a member's slow start ends)
    wake_at: datetime | None = None


def canonical(addresses: Iterable[str]) -> list[str]:
    """Unique, valid addresses, IPv4 first, numerically sorted; invalid ones dropped."""
    keys = set()
    for a in addresses:
        key = address_key(a)
        if key is not None:
            keys.add(key)
    return [key[2] for key in sorted(keys)]


def address_key(address: object) -> tuple[int, int, str] | None:
    """(family, number, canonical text) of an address as written, None if it is not one."""
    return _parsed_key(address if isinstance(address, str) else str(address))


@lru_cache(maxsize=65536)
def _parsed_key(text: str) -> tuple[int, int, str] | None:
    """``address_key`` of text. Every decision and every read-back compares answers, and a
    deployment's addresses are few next to its names: each is parsed once per process
    (cached on the text), not once per comparison."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return ip.version, int(ip), str(ip)


def split_families(addresses: Iterable[str]) -> tuple[list[str], list[str]]:
    """(IPv4 for A records, IPv6 for AAAA records) of canonical ``addresses``."""
    ordered = canonical(addresses)
    return ([a for a in ordered if ":" not in a], [a for a in ordered if ":" in a])


def answer_digest(addresses: Sequence[str]) -> str:
    """A short stable digest of an answer, for dedupe keys."""
    return hashlib.sha256(",".join(canonical(addresses)).encode()).hexdigest()[:16]


def status_of(member: Member) -> str:
    """The member's operating status as text."""
    return enum_text(member.operating_status)


def is_enabled(member: Member) -> bool:
    return bool(member.admin_state_up) and member.weight > 0


def is_healthy(member: Member) -> bool:
    return status_of(member) in HEALTHY


def member_addresses(member: Member) -> list[str]:
    """What a member serves: its discovered endpoints, else its configured address."""
    if member.endpoints:
        return list(member.endpoints)
    return [member.address] if member.address else []
