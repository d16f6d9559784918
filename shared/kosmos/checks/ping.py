"""PING check: one ICMP (or ICMPv6) echo, answered within the timeout.

Sockets, in order of preference:
- an unprivileged ICMP datagram socket, where the kernel allows the checker's
  group (``net.ipv4.ping_group_range``); the kernel then owns the echo id;
- a raw socket when the checker has CAP_NET_RAW (root);
- neither: ``validate`` raises CheckUnavailable with what to change, so the
  member's status says why instead of reporting a host down.
"""
from __future__ import annotations

import asyncio
import os
import socket
import struct
import time
from functools import lru_cache

from kosmos.checks.base import Check, CheckFailed, CheckUnavailable, Outcome, Target
from kosmos.contracts.events import MonitorSpec

_ECHO = {socket.AF_INET: (8, 0), socket.AF_INET6: (128, 129)}  # (request, reply) types
_PROTO = {socket.AF_INET: socket.IPPROTO_ICMP, socket.AF_INET6: socket.IPPROTO_ICMPV6}
UNAVAILABLE = ("PING needs ICMP sockets: add the checker's group to "
               "net.ipv4.ping_group_range, or grant it CAP_NET_RAW")


@lru_cache(maxsize=2)
def socket_kind(family: int = socket.AF_INET) -> int | None:
    """SOCK_DGRAM or SOCK_RAW, whichever ICMP socket this process may open; None if neither."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_RAW):
        try:
            socket.socket(family, kind, _PROTO[family]).close()
            return kind
        except OSError:
            continue
    return None


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(family: int, ident: int, seq: int, token: bytes) -> bytes:
    kind = _ECHO[family][0]
    header = struct.pack("!BBHHH", kind, 0, 0, ident, seq)
    # ICMPv6 checksums cover a pseudo-header: the kernel fills them in.
    csum = checksum(header + token) if family == socket.AF_INET else 0
    return struct.pack("!BBHHH", kind, 0, csum, ident, seq) + token


class PingCheck(Check):
    """``type: PING``."""

    name = "PING"
    #: How the check learns which ICMP socket it may open (a test subclass overrides it).
    detect = staticmethod(socket_kind)

    def validate(self, monitor: MonitorSpec) -> None:
        if self.detect(socket.AF_INET) is None:
            raise CheckUnavailable(UNAVAILABLE)

    async def probe(self, target: Target) -> Outcome:
        family = socket.AF_INET6 if ":" in (target.address or "") else socket.AF_INET
        kind = self.detect(family)
        if kind is None:
            raise CheckUnavailable(UNAVAILABLE)
        loop = asyncio.get_running_loop()
        token = os.urandom(16)
        ident = int.from_bytes(os.urandom(2), "big")
        sock = socket.socket(family, kind, _PROTO[family])
        sock.setblocking(False)
        started = time.perf_counter()
        try:
            await loop.sock_sendto(sock, echo_request(family, ident, 1, token),
                                   (target.address, 0))
            while True:
                data, peer = await loop.sock_recvfrom(sock, 2048)
                if peer[0] != target.address and family == socket.AF_INET:
                    continue
                if _is_reply(data, family, kind, token):
                    return Outcome(True, "echo reply", round((time.perf_counter() - started) * 1000, 3))
        except OSError as exc:
            raise CheckFailed((exc.strerror or str(exc)).lower()) from None
        finally:
            sock.close()


def _is_reply(data: bytes, family: int, kind: int, token: bytes) -> bool:
    if family == socket.AF_INET and kind == socket.SOCK_RAW:
        data = data[(data[0] & 0x0F) * 4:]   # raw IPv4 sockets see the IP header
    if len(data) < 8 + len(token):
        return False
    return data[0] == _ECHO[family][1] and data[8:8 + len(token)] == token
