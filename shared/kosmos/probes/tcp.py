"""TCP connect check: the port accepts a connection within the timeout."""
from __future__ import annotations

import asyncio
import errno
import socket
import struct
import time

from kosmos.probes.base import Check, CheckFailed, Outcome, Target, elapsed_ms

#: SO_LINGER on, zero seconds: closing resets the connection (no TIME_WAIT left behind)
LINGER_RESET = struct.pack("ii", 1, 0)

_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "connection timed out",
    errno.EADDRNOTAVAIL: "address not available",
}


def connect_reason(exc: OSError) -> str:
    """The human reason for a failed connect (``connection refused``, ...)."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return (exc.strerror or str(exc) or exc.__class__.__name__).lower()


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

