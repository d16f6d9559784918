"""TCP connect check: the port accepts a connection within the timeout.

A probe of an IP literal runs on the loop's callbacks (``SocketProbe`` without a
request: connected is the verdict), as plain HTTP does; the rest are awaited.
"""
from __future__ import annotations

import asyncio
import socket
import time
from typing import Callable

from kosmos.probes.base import Check, CheckFailed, Outcome, Target, elapsed_ms
from kosmos.probes.reactor import Reactor
from kosmos.probes.socketprobe import (LINGER_RESET, SocketProbe, connect_reason, ip_literal,
                                       reporting)


class TcpCheck(Check):
    """``type: TCP``: connect, then reset the connection (no data is sent)."""

    name = "TCP"

    async def probe(self, target: Target) -> Outcome:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in (target.address or "") else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        started = time.perf_counter()
        try:
            sock.setblocking(False)
            try:
                await loop.sock_connect(sock, (target.address, target.port))
            except OSError as exc:
                raise CheckFailed(connect_reason(exc), elapsed_ms(started)) from None
            latency = elapsed_ms(started)
            # Reset rather than close: no TIME_WAIT left behind by frequent probes.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
            return Outcome(True, "connected", latency)
        finally:
            sock.close()

    def starts(self, target: Target) -> bool:
        """Whether ``start`` serves this target: an IP literal."""
        return ip_literal(target.address)

    def start(self, target: Target, timeout: float,
              report: Callable[[Outcome | None], None], reactor: Reactor) -> SocketProbe:
        """Connect on the loop's callbacks; ``report`` gets the outcome, or None when
        ``timeout`` passed first. The probe, to abort it."""
        probe = SocketProbe(reactor, reporting(
            report, lambda _reading, latency: Outcome(True, "connected", latency)))
        probe.start(target.address, target.port, timeout, None, None, frozenset(), False)
        return probe
