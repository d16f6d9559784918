"""A plain HTTP probe on a non-blocking socket, driven by the event loop's readiness
callbacks: no task, coroutine, transport or future of its own.

At thousands of probes a second the checker's CPU went more to the Python
objects around each probe (a task, three coroutines, a timeout scope, a
transport and its address lookups) than to the probe itself
(``bench/bench_checker_vs_haproxy.py``). This path keeps only the socket, the
response parser (``HttpProbeProtocol``, the same one the transport path uses)
and one timer. It serves HTTP monitors of IP addresses; HTTPS, hostnames and
anything unusual take ``HttpCheck.probe``.

The request is sent as soon as the socket is connected: on loopback and most
LANs ``connect`` completes at once and the probe costs one reader
registration; otherwise it waits for the socket to become writable first. The
connection is reset, not closed, once the verdict is known (no TIME_WAIT).
"""
from __future__ import annotations

import asyncio
import errno
import os
import socket
import struct
from typing import Callable

from kosmos.probes.httpwire import HttpProbeProtocol, HttpReading, ProbeError
from kosmos.probes.tcp import connect_reason

_LINGER_RESET = struct.pack("ii", 1, 0)
#: a send before the connection is up: wait for the socket to become writable
_NOT_YET = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOTCONN, errno.EINPROGRESS,
                      errno.EALREADY})

#: Called once per probe: (reading, None) on a response; (None, reason) on a failure;
#: (None, None) when the deadline passed first.
Done = Callable[[HttpReading | None, str | None], None]


class SocketProbe:
    """One probe. Plays the two parts ``HttpProbeProtocol`` talks to: its transport
    (``write``, ``abort``) and its future (``set_result``, ``set_exception``)."""

    __slots__ = ("loop", "sock", "fd", "pending", "protocol", "on_done", "settled",
                 "reading", "writing", "timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, on_done: Done):
        self.loop = loop
        self.on_done = on_done
        self.sock: socket.socket | None = None
        self.fd = -1
        self.pending = b""
        self.protocol: HttpProbeProtocol | None = None
        self.settled = False
        self.reading = self.writing = False
        self.timer: asyncio.TimerHandle | None = None

    def start(self, address: str, port: int, timeout: float, request: bytes,
              needle: bytes | None, accept: frozenset[int], head: bool) -> None:
        """Connect to ``address`` (an IP literal) and send ``request``; ``on_done`` is
        called within ``timeout`` seconds."""
        self.timer = self.loop.call_later(timeout, self._expire)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        try:
            sock = self.sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            self.fd = sock.fileno()
            err = sock.connect_ex((address, port))
        except OSError as exc:
            self._settle(None, connect_reason(exc))
            return
        if err not in (0, errno.EINPROGRESS):
            self._settle(None, connect_reason(OSError(err, os.strerror(err))))
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
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
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

    # -- the loop's callbacks ----------------------------------------------------
    def _send(self) -> None:
        sock = self.sock
        if sock is None:
            return
        try:
            sent = sock.send(self.pending)
        except OSError as exc:
            if exc.errno in _NOT_YET:
                self._want_write()
                return
            self._settle(None, connect_reason(exc))
            return
        self.pending = self.pending[sent:]
        if self.pending:
            self._want_write()
            return
        if self.writing:
            self.loop.remove_writer(self.fd)
            self.writing = False
        if not self.reading:
            self.loop.add_reader(self.fd, self._readable)
            self.reading = True

    def _want_write(self) -> None:
        if not self.writing:
            self.loop.add_writer(self.fd, self._writable)
            self.writing = True

    def _writable(self) -> None:
        if self.sock is None:
            return
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._settle(None, connect_reason(OSError(err, os.strerror(err))))
            return
        self._send()

    def _readable(self) -> None:
        sock, protocol = self.sock, self.protocol
        if sock is None or protocol is None:
            return
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            protocol.connection_lost(exc)
            return
        if data:
            protocol.data_received(data)
        else:
            protocol.eof_received()
            protocol.connection_lost(None)

    def _expire(self) -> None:
        self.timer = None
        self._settle(None, None)

    # -- the end -----------------------------------------------------------------
    def _settle(self, reading: HttpReading | None, failure: str | None) -> None:
        if self.settled:
            return
        self.settled = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self._close()
        self.on_done(reading, failure)

    def _close(self) -> None:
        sock = self.sock
        if sock is None:
            return
        self.sock = None
        if self.reading:
            self.loop.remove_reader(self.fd)
        if self.writing:
            self.loop.remove_writer(self.fd)
        self.reading = self.writing = False
        sock.close()

