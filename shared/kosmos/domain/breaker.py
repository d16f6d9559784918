"""The circuit breaker: hold removals when the checkers look wrong, never for a real outage.

It judges the deployment, not one GSLB: how many *distinct endpoints*
(address and port) are down right now, out of all the distinct endpoints
Kosmos monitors. One address that dies while serving 1,000 names is one
endpoint, and its names fail over at once. Removals are held only when the
endpoints down

- are at least ``min_endpoints`` (an absolute floor: a small deployment's
  real failures are never held), and
- are at least ``fraction`` of every monitored endpoint, and
- span more than one *site* (a member's ``region`` when it has one, else its
  address's /24 or /48 network).

One site going dark, however large, is the outage a GSLB exists for. Most of
the deployment going dark across sites at once is far more often the
monitoring itself (a broken probe rollout, a checker network cut that quorum
did not catch, a bad monitor change) than the applications: Kosmos then keeps
serving what it serves (fail static) and says why. Monitors changed shortly
before are named in the evidence, the usual culprit.

Nothing is latched: every cycle judges the endpoints down *now*, so a hold
releases itself as soon as enough of them come back (or a scoped reconcile
releases one GSLB deliberately). Additions are never held.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping, Sequence


@dataclass(frozen=True)
class DownMember:
    """A member that is down, with what the breaker counts of it."""

    member_id: str
    addresses: tuple[str, ...]
    port: int
    region: str | None = None
    monitor_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class BreakerVerdict:
    hold: bool
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


NOT_TRIPPED = BreakerVerdict(False)

_WOULD = "; would publish "


def held_note(reason: str, would: str) -> str:
    """A held GSLB's ``publish_reason``: the breaker's reason, then the answer held back."""
    return f"{reason}{_WOULD}{would}"


def held_back(note: str | None) -> str | None:
    """The answer a held GSLB's ``publish_reason`` says is held back (None: not a hold's).
    Two holds of one answer are one event however the breaker's counts moved between."""
    if not note or _WOULD not in note:
        return None
    return note.rsplit(_WOULD, 1)[1]


@lru_cache(maxsize=65536)
def site_of(address: str, region: str | None) -> str:
    """Where an endpoint lives: its member's region, else its /24 (IPv4) or /48 (IPv6).
    Kept: every cycle judges every endpoint down, and parsing them again took an eighth
    of the engine's CPU in a failover of a few hundred names."""
    if region:
        return f"region:{region}"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"address:{address}"
    prefix = 24 if ip.version == 4 else 48
    return f"net:{ipaddress.ip_network(f'{ip}/{prefix}', strict=False)}"


def removes(current: Sequence[str], desired: Sequence[str]) -> bool:
    """Whether ``desired`` drops an address that ``current`` serves."""
    return bool(set(current) - set(desired))


def judge(total_endpoints: int, down: Iterable[DownMember], fraction: float, min_endpoints: int,
          monitors_changed: Mapping[str, str] | None = None,
          suspect: Iterable[DownMember] = ()) -> BreakerVerdict:
    """Hold or not, from the members down now and the suspects: members failing in as
    many regions as quorum needs, about to go down (see the module docstring). Checker
    trouble that spreads over a few seconds is judged by where it is going, not by the
    first site whose members happen to cross their threshold first."""
    endpoints: dict[tuple[str, int], str] = {}
    monitors: set[str] = set()
    for m in down:
        for a in m.addresses:
            endpoints[(a, m.port)] = site_of(a, m.region)
        monitors.update(m.monitor_ids)
    n_down = len(endpoints)
    for m in suspect:
        for a in m.addresses:
            endpoints.setdefault((a, m.port), site_of(a, m.region))
        monitors.update(m.monitor_ids)
    n, sites = len(endpoints), sorted(set(endpoints.values()))
    share = n / total_endpoints if total_endpoints else 0.0
    changed = {k: v for k, v in (monitors_changed or {}).items() if k in monitors}
    evidence = {"endpoints_down": n_down, "endpoints_suspect": n - n_down,
                "endpoints_monitored": total_endpoints,
                "share_down": round(share, 4), "sites_down": sites[:50], "sites": len(sites),
                "fraction": fraction, "min_endpoints": min_endpoints,
                "monitors_changed": changed}
    if n < min_endpoints or share < fraction or len(sites) < 2:
        return BreakerVerdict(False, "", evidence)
    going = f" ({n - n_down} of them failing in enough regions to follow)" if n > n_down else ""
    reason = (f"circuit breaker: {n} of {total_endpoints} monitored endpoints ({share:.0%}) are "
              f"down{going} across {len(sites)} sites at once, which looks like the checkers "
              f"rather than the endpoints; removals held")
    if changed:
        reason += f"; monitors changed just before: {', '.join(sorted(changed))}"
    return BreakerVerdict(True, reason, evidence)
