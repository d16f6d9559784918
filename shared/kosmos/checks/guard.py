"""The SSRF guard: addresses a tenant-defined monitor may not make us probe.

Members are tenant input, and the checker runs inside the cloud: without a
guard a member at 169.254.169.254 would turn the checker into a proxy to the
metadata service. Refused by default: loopback (and the unspecified address,
which reaches the local host), link-local (the metadata address included),
multicast, and ``settings.deny_cidrs``. ``allow_loopback`` / ``allow_link_local``
lift the first two (the local runner allows loopback).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Guard:
    allow_loopback: bool = False
    allow_link_local: bool = False
    deny: tuple[Network, ...] = field(default_factory=tuple)

    @classmethod
    def from_settings(cls, settings) -> "Guard":
        return cls(allow_loopback=settings.allow_loopback,
                   allow_link_local=settings.allow_link_local,
                   deny=parse_cidrs(settings.deny_cidrs))

    def refusal(self, address: str) -> str | None:
        """Why probing ``address`` is refused, or None when it is allowed."""
        try:
            ip: IPAddress = ipaddress.ip_address(address)
        except ValueError:
            return f"refused: {address!r} is not an IP address"
        # An IPv4-mapped IPv6 address reaches the IPv4 host: judge that one.
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if (ip.is_loopback or ip.is_unspecified) and not self.allow_loopback:
            return f"refused: {address} is a loopback address (allow_loopback is off)"
        if ip.is_link_local and not self.allow_link_local:
            return f"refused: {address} is a link-local address (allow_link_local is off)"
        if ip.is_multicast:
            return f"refused: {address} is a multicast address"
        for net in self.deny:
            if ip.version == net.version and ip in net:
                return f"refused: {address} is in denied range {net}"
        return None


def parse_cidrs(values: Iterable[str]) -> tuple[Network, ...]:
    """Parse ``deny_cidrs``; a bad entry is a configuration error naming it."""
    nets = []
    for v in values:
        try:
            nets.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError as exc:
            from kosmos.errors import ValidationError
            raise ValidationError(f"deny_cidrs: {v!r} is not a CIDR", field="deny_cidrs") from exc
    return tuple(nets)
