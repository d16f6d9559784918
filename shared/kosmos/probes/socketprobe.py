"""A plain HTTP or TCP connect probe on a non-blocking socket, driven by the event
loop's readiness callbacks: no task, coroutine, transport or future of its own.

At thousands of probes a second the checker's CPU went more to the Python
objects around each probe (a task, three coroutines, a timeout scope, a
transport and its address lookups) than to the probe itself
(``bench/bench_checker_vs_haproxy.py``). This path keeps only the socket, the
response parser (``HttpProbeProtocol``, the same one the transport path uses)
and an entry in its loop's ``Reactor`` (one epoll set, one timer for every
deadline). It serves HTTP monitors of IP addresses; HTTPS, hostnames and
anything unusual take ``HttpCheck.probe``. When the status alone decides (no
``receive_string``, or HEAD) and the first read holds the whole head, as it
nearly always does, the probe reads the status line itself and the parser is
never made.

The request is sent as soon as the socket is connected: on loopback and most
LANs ``connect`` completes at once and the probe costs one registration for
reading; otherwise it waits for the socket to become writable first. The
connection is reset, not closed, once the verdict is known (no TIME_WAIT).
"""
from __future__ import annotations

import errno
import ipaddress
import os
import socket
import struct
import time
from functools import lru_cache
from typing import Callable

from kosmos.probes.base import Outcome, elapsed_ms
from kosmos.probes.httpwire import MALFORMED, HttpProbeProtocol, HttpReading, ProbeError, status_of
from kosmos.probes.reactor import READ, WRITE, Reactor

_STREAM = socket.SOCK_STREAM | getattr(socket, "SOCK_NONBLOCK", 0) | getattr(socket, "SOCK_CLOEXEC", 0)
#: a probe reads the status line and headers (and a body it searches): small reads suffice
_RECV = 16384
#: a send before the connection is up: wait for the socket to become writable
_NOT_YET = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOTCONN, errno.EINPROGRESS,
                      errno.EALREADY})

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


@lru_cache(maxsize=65536)
def ip_literal(address: str | None) -> bool:
    """An IP literal a socket connects to as is (a scoped IPv6 address is not)."""
    if not address or "%" in address:
        return False
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


#: A request-less probe's reading: the connection was made (a TCP check's verdict).
CONNECTED = HttpReading(0, None)

#: Called once per probe: (reading, None) on a response; (None, reason) on a failure;
#: (None, None) when the deadline passed first.
Done = Callable[[HttpReading | None, str | None], None]


def reporting(report: Callable[[Outcome | None], None],
              verdict: Callable[[HttpReading, float], Outcome]) -> Done:
    """A check's ``Done`` from now on: ``verdict(reading, latency)`` on a reading, a
    failed Outcome with the reason on a failure, None when the deadline came first;
    latency in milliseconds from this call."""
    started = time.perf_counter()

    def done(reading: HttpReading | None, failure: str | None) -> None:
        if reading is not None:
            report(verdict(reading, elapsed_ms(started)))
        elif failure is not None:
            report(Outcome(False, failure, elapsed_ms(started)))
        else:
            report(None)
    return done


class SocketProbe:
    """One probe. Plays the two parts ``HttpProbeProtocol`` talks to: its transport
    (``write``, ``abort``) and its future (``set_result``, ``set_exception``)."""

    __slots__ = ("reactor", "sock", "fd", "pending", "protocol", "on_done", "settled",
                 "watched", "events", "deadline")

    def __init__(self, reactor: Reactor, on_done: Done):
        self.reactor = reactor
        self.on_done: Done | None = on_done
        self.sock: socket.SocketType | None = None
        self.fd = -1
        self.pending: bytes | None = b""
        self.protocol: HttpProbeProtocol | None = None
        self.settled = False
        self.watched = False
        self.events = 0
        self.deadline = 0.0

    def start(self, address: str, port: int, timeout: float, request: bytes | None,
              needle: bytes | None, accept: frozenset[int], head: bool) -> None:
        """Connect to ``address`` (an IP literal) and send ``request``; ``on_done`` is
        called within ``timeout`` seconds. Without a request, the connection is the
        answer: ``on_done(CONNECTED, None)`` once it is made."""
        self.deadline = self.reactor.expire_after(timeout, self)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        try:
            # the C-level socket: this probe needs none of socket.socket's Python layer
            sock = self.sock = socket.SocketType(family, _STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
            self.fd = sock.fileno()
            err = sock.connect_ex((address, port))
        except OSError as exc:
            self._settle(None, connect_reason(exc))
            return
        if err not in (0, errno.EINPROGRESS):
            self._settle(None, connect_reason(OSError(err, os.strerror(err))))
            return
        if request is None:   # a connect check: made, or wait until it is
            if err == 0:
                self._settle(CONNECTED, None)
            else:
                self.pending = None
                self._wait_for(WRITE)
            return
        if needle is None or head:   # the status decides: the parser only if needed
            self.pending = request
            self._send()
            return
        self.protocol = HttpProbeProtocol(request, needle, accept, head, self)
        self.protocol.connection_made(self)   # sends the request: write() below

    # -- the protocol's transport ------------------------------------------------
    def write(self, data: bytes) -> None:
        self.pending += data
        self._send()

    def abort(self) -> None:
        """Drop the probe unreported (the verdict is in, or its batch is gone)."""
        self.settled = True
        self.on_done = None
        self._close()

    # -- the protocol's future ---------------------------------------------------
    def add_done_callback(self, _callback: object) -> None:
        """The protocol's own clean-up on cancellation is ``_close`` here."""

    def done(self) -> bool:
        return self.settled

    def cancelled(self) -> bool:
        return False

    def set_result(self, reading: HttpReading) -> None:
        self._settle(reading, None)

    def set_exception(self, exc: ProbeError) -> None:
        self._settle(None, str(exc))

    # -- the reactor's callbacks -------------------------------------------------
    def _send(self) -> None:
        sock = self.sock
        if sock is None:
            return
        try:
            sent = sock.send(self.pending)
        except OSError as exc:
            if exc.errno in _NOT_YET:
                self._wait_for(WRITE)
                return
            self._settle(None, connect_reason(exc))
            return
        self.pending = self.pending[sent:]
        self._wait_for(WRITE if self.pending else READ)

    def _wait_for(self, events: int) -> None:
        if not self.watched:
            self.reactor.watch(self.fd, self._writable if events == WRITE else self._readable,
                               events)
            self.watched = True
        elif events != self.events:
            self.reactor.change(self.fd, self._writable if events == WRITE else self._readable,
                                events)
        self.events = events

    def _writable(self, _events: int = 0) -> None:
        if self.sock is None:
            return
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._settle(None, connect_reason(OSError(err, os.strerror(err))))
            return
        if self.pending is None:   # a connect check: connected
            self._settle(CONNECTED, None)
            return
        self._send()

    def _readable(self, _events: int = 0) -> None:
        sock = self.sock
        if sock is None:
            return
        try:
            data = sock.recv(_RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._parser().connection_lost(exc)
            return
        protocol = self.protocol
        if protocol is None:
            if data.find(b"\r\n\r\n") >= 0:   # the whole head: its status line decides
                status = status_of(data.partition(b"\r\n")[0])
                if status is None:
                    self._settle(None, MALFORMED)
                else:
                    self._settle(HttpReading(status, None), None)
                return
            protocol = self._parser()
        if data:
            protocol.data_received(data)
        else:
            protocol.eof_received()
            protocol.connection_lost(None)

    def _parser(self) -> HttpProbeProtocol:
        """The response parser; made here when the status line alone did not decide."""
        if self.protocol is None:
            # no body to search: the parser settles on the head (HEAD or not)
            self.protocol = HttpProbeProtocol(b"", None, frozenset(), False, self)
            self.protocol.connection_made(self)   # the request went already
        return self.protocol

    def expire(self) -> None:
        """The deadline passed first (the reactor calls this)."""
        self._settle(None, None)

    # -- the end -----------------------------------------------------------------
    def _settle(self, reading: HttpReading | None, failure: str | None) -> None:
        if self.settled:
            return
        if (reading is not None or failure is not None) and self.reactor.past(self.deadline):
            reading = failure = None   # settled after its deadline, before the sweep came
        self.settled = True
        self._close()
        on_done, self.on_done = self.on_done, None
        if on_done is not None:
            on_done(reading, failure)

    def _close(self) -> None:
        sock = self.sock
        if sock is None:
            return
        self.sock = None
        if self.watched:
            self.reactor.forget(self.fd)
            self.watched = False
        sock.close()
