"""A steered answer: what the appliance needs to answer each query itself.

PRIORITY answers are static (a list of addresses). WEIGHTED and GEO answers
depend on the query, so the engine hands the appliance a ``Route``: groups of
targets (one per pool, in priority order) with each pool's ``client_subnets``
and each target's weight and slow-start start, and the policy that picks from
them per query (``kosmos.domain.routing.pick``). A route is plain data: it
goes to the appliance as JSON, and its digest says whether what an appliance
serves is what the engine wants.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Target:
    """One address a query may get, with its weight; ``since`` (epoch seconds) is when
    the member came back ONLINE when it is still on its slow-start ramp."""

    address: str
    weight: int = 1
    since: float | None = None

    @property
    def family(self) -> int:
        return 6 if ":" in self.address else 4


@dataclass(frozen=True)
class Group:
    """One pool's targets, with the client subnets it serves (GEO)."""

    pool_id: str
    targets: tuple[Target, ...]
    subnets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    policy: str
    groups: tuple[Group, ...]
    max_answers: int | None = None
    slow_start: int = 0
    _networks: Any = field(default=None, compare=False, repr=False)

    def addresses(self) -> list[str]:
        """Every address some query may get, canonical (IPv4 first, numeric order)."""
        ips = {ipaddress.ip_address(t.address) for g in self.groups for t in g.targets}
        return [str(ip) for ip in sorted(ips, key=lambda ip: (ip.version, int(ip)))]

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "max_answers": self.max_answers,
                "slow_start": self.slow_start,
                "groups": [{"pool_id": g.pool_id, "subnets": list(g.subnets),
                            "targets": [{"address": t.address, "weight": t.weight,
                                         "since": t.since} for t in g.targets]}
                           for g in self.groups]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Route":
        """The route ``to_dict`` gave; ValueError when ``data`` is not one."""
        try:
            groups = tuple(Group(str(g["pool_id"]), tuple(
                Target(str(ipaddress.ip_address(t["address"])), int(t.get("weight", 1)),
                       None if t.get("since") is None else float(t["since"]))
                for t in g["targets"]), tuple(str(ipaddress.ip_network(s)) for s in g.get("subnets", ())))
                for g in data["groups"])
            max_answers = data.get("max_answers")
            return cls(str(data["policy"]), groups,
                       None if max_answers is None else int(max_answers),
                       int(data.get("slow_start") or 0))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a route: {exc}") from None

    def digest(self) -> str:
        """A short stable digest, to compare what is served with what is wanted."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def networks(self) -> list[tuple[int, Any]]:
        """(group index, network) of every client subnet, parsed once."""
        if self._networks is None:
            nets = [(i, ipaddress.ip_network(s)) for i, g in enumerate(self.groups) for s in g.subnets]
            object.__setattr__(self, "_networks", nets)
        return self._networks


def effective_weight(target: Target, slow_start: int, now: float) -> float:
    """The target's weight at ``now``: rising linearly from 0 over ``slow_start`` seconds
    after ``since``, its full weight before a ramp or after it."""
    if target.since is None or slow_start <= 0:
        return float(target.weight)
    share = (now - target.since) / slow_start
    return float(target.weight) * min(1.0, max(0.0, share))
