"""The SSRF guard: addresses a tenant-defined monitor may not make us probe.

Members are tenant input, and the checker runs inside the cloud: without a
guard a member at 169.254.169.254 would turn the checker into a proxy to the
metadata service, and one at 10.0.0.5 into a scanner of the cloud's own
networks. A GSLB steers public traffic, so by default only *globally
routable* addresses are probed. Refused unless allowed:

- loopback and the unspecified address (``allow_loopback``: the local runner);
- link-local, the metadata address included (``allow_link_local``);
- everything else that is not globally routable: private (10/8, 172.16/12,
  192.168/16), shared CGNAT space (100.64/10), unique-local (fc00::/7),
  0/8, reserved and documentation ranges, broadcast;
- multicast, always;
- ``deny_cidrs``, always (it wins over every allowance).

``allow_cidrs`` lets an operator allow chosen ranges (internal services
behind a private GSLB). An IPv6 address that carries an IPv4 one (mapped
``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo, and
the old IPv4-compatible ``::a.b.c.d``) is judged by the IPv4 address it
reaches as well.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPAT = ipaddress.IPv6Network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches by translation or tunnel, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]   # the client, which the packets reach
    if ip in _NAT64 or (ip in _COMPAT and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class Guard:
    allow_loopback: bool = False
    allow_link_local: bool = False
    deny: tuple[Network, ...] = field(default_factory=tuple)
    allow: tuple[Network, ...] = field(default_factory=tuple)

    @classmethod
    def from_settings(cls, settings) -> "Guard":
        return cls(allow_loopback=settings.allow_loopback,
                   allow_link_local=settings.allow_link_local,
                   deny=parse_cidrs(settings.deny_cidrs, "deny_cidrs"),
                   allow=parse_cidrs(settings.allow_cidrs, "allow_cidrs"))

    def refusal(self, address: str) -> str | None:
        """Why probing ``address`` is refused, or None when it is allowed."""
        try:
            ip: IPAddress = ipaddress.ip_address(address)
        except ValueError:
            return f"refused: {address!r} is not an IP address"
        judged: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            inner = embedded_ipv4(ip)
            if inner is not None:
                judged = [inner] if ip.ipv4_mapped is not None else [ip, inner]
        for one in judged:
            why = self._refusal(one)
            if why:
                return why if one == ip else f"refused: {address} reaches {one}; {why[9:]}"
        return None

    def _refusal(self, ip: IPAddress) -> str | None:
        if any(ip.version == n.version and ip in n for n in self.deny):
            net = next(n for n in self.deny if ip.version == n.version and ip in n)
            return f"refused: {ip} is in denied range {net}"
        if ip.is_multicast:
            return f"refused: {ip} is a multicast address"
        if any(ip.version == n.version and ip in n for n in self.allow):
            return None
        if ip.is_loopback or ip.is_unspecified:
            return None if self.allow_loopback else \
                f"refused: {ip} is a loopback address (allow_loopback is off)"
        if ip.is_link_local:
            return None if self.allow_link_local else \
                f"refused: {ip} is a link-local address (allow_link_local is off)"
        if isinstance(ip, ipaddress.IPv6Address) and ip in _NAT64:
            return None   # judged by the IPv4 address it carries
        if not ip.is_global:
            return (f"refused: {ip} is not a globally routable address (private, shared, "
                    "reserved or documentation range); an operator may allow it with allow_cidrs")
        return None


def parse_cidrs(values: Iterable[str], setting: str = "deny_cidrs") -> tuple[Network, ...]:
    """Parse a list of CIDRs; a bad entry is a configuration error naming it."""
    nets = []
    for v in values:
        try:
            nets.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError as exc:
            from kosmos.errors import ValidationError
            raise ValidationError(f"{setting}: {v!r} is not a CIDR", field=setting) from exc
    return tuple(nets)
