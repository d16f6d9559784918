"""PING check: one ICMP (or ICMPv6) echo, answered within the timeout.

Sockets, in order of preference:
- an unprivileged ICMP datagram socket, where the kernel allows the checker's
  group (``net.ipv4.ping_group_range``); the kernel then owns the echo id;
- a raw socket when the checker has CAP_NET_RAW (root);
- neither: ``validate`` raises CheckUnavailable with what to change, so the
  member's status says why instead of reporting a host down.

One socket per (event loop, address family) carries every echo of a batch:
replies are matched to their probe by a random 16-byte payload token. A
socket per probe would not scale with raw sockets, each of which receives a
copy of every ICMP packet the host gets.
"""
from __future__ import annotations

import asyncio
import os
import socket
import struct
import time
from functools import lru_cache
from typing import Any

from kosmos.probes.base import Check, CheckFailed, CheckUnavailable, Outcome, Target, elapsed_ms
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


class EchoMux:
    """One ICMP socket on one loop; routes echo replies to waiting probes by token."""

    def __init__(self, loop: asyncio.AbstractEventLoop, family: int, kind: int):
        self.loop, self.family, self.kind = loop, family, kind
        self.sock = socket.socket(family, kind, _PROTO[family])
        self.sock.setblocking(False)
        _large_receive_buffer(self.sock)
        self.waiters: dict[bytes, tuple[str, asyncio.Future]] = {}
        self._write_waiters: list[asyncio.Future] = []
        loop.add_reader(self.sock.fileno(), self._readable)

    async def echo(self, address: str) -> None:
        """Send one echo request to ``address``; return when its reply arrives."""
        token = os.urandom(16)
        ident = int.from_bytes(os.urandom(2), "big")
        future = self.loop.create_future()
        self.waiters[token] = (_normal(address), future)
        try:
            await self._send(echo_request(self.family, ident, 1, token), address)
            await future
        finally:
            self.waiters.pop(token, None)

    async def _send(self, packet: bytes, address: str) -> None:
        # Not loop.sock_sendto: uvloop, the checker's loop, does not implement it.
        while True:
            try:
                self.sock.sendto(packet, (address, 0))
                return
            except (BlockingIOError, InterruptedError):
                await self._writable_soon()

    def _writable_soon(self) -> asyncio.Future:
        """A future done when the socket can take a packet (one writer for every waiter)."""
        future = self.loop.create_future()
        if not self._write_waiters:
            self.loop.add_writer(self.sock.fileno(), self._writable)
        self._write_waiters.append(future)
        return future

    def _writable(self) -> None:
        self.loop.remove_writer(self.sock.fileno())
        waiters, self._write_waiters = self._write_waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)

    def _readable(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            token = _reply_token(data, self.family, self.kind)
            waiter = self.waiters.get(token) if token else None
            if waiter and waiter[0] == _normal(peer[0]) and not waiter[1].done():
                waiter[1].set_result(None)

    def close(self) -> None:
        self.loop.remove_reader(self.sock.fileno())
        if self._write_waiters:
            self.loop.remove_writer(self.sock.fileno())
        self.sock.close()


class PingCheck(Check):
    """``type: PING``."""

    name = "PING"
    #: How the check learns which ICMP socket it may open (a test subclass overrides it).
    detect = staticmethod(socket_kind)

    def __init__(self, settings: Any = None, **deps: Any):
        super().__init__(settings, **deps)
        self._muxes: dict[tuple[int, int], EchoMux] = {}

    def validate(self, monitor: MonitorSpec) -> None:
        if self.detect(socket.AF_INET) is None:
            raise CheckUnavailable(UNAVAILABLE)

    async def probe(self, target: Target) -> Outcome:
        family = socket.AF_INET6 if ":" in (target.address or "") else socket.AF_INET
        kind = self.detect(family)
        if kind is None:
            raise CheckUnavailable(UNAVAILABLE)
        started = time.perf_counter()
        try:
            await self._mux(family, kind).echo(target.address)
        except OSError as exc:
            raise CheckFailed((exc.strerror or str(exc)).lower()) from None
        return Outcome(True, "echo reply", elapsed_ms(started))

    def _mux(self, family: int, kind: int) -> EchoMux:
        loop = asyncio.get_running_loop()
        key = (id(loop), family)
        mux = self._muxes.get(key)
        if mux is None or mux.loop is not loop:
            mux = self._muxes[key] = EchoMux(loop, family, kind)
        return mux

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        for key, mux in list(self._muxes.items()):
            if mux.loop is loop:
                mux.close()
                del self._muxes[key]


def _large_receive_buffer(sock: socket.socket, size: int = 4 << 20) -> None:
    # A burst of replies (and, on raw sockets, every other ICMP packet) must not
    # overflow the default ~200 KiB buffer: a dropped reply reads as a timeout.
    for option in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
        if option is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, size)
            return
        except OSError:
            continue


def _reply_token(data: bytes, family: int, kind: int) -> bytes | None:
    if family == socket.AF_INET and kind == socket.SOCK_RAW:
        data = data[(data[0] & 0x0F) * 4:]   # raw IPv4 sockets see the IP header
    if len(data) < 24 or data[0] != _ECHO[family][1]:
        return None
    return data[8:24]


def _normal(address: str) -> str:
    return address.split("%", 1)[0].lower()
