"""A lean HTTP/1.1 response reader for probes (an asyncio Protocol).

Why not a client library: a health probe needs one request per connection,
the status line, and at most a search through the body. Measured closed-loop
(bench/bench_checker.py --compare), aiohttp on uvloop costs about four times
the CPU per probe of this protocol, threads with http.client likewise; asyncio
streams on uvloop cost about the same but buffer what they read. This
protocol reads the status line and headers, then, only when a
``receive_string`` must be found, scans the body incrementally (chunked or
not), keeping no more than one read plus the needle's length in memory, and
stops reading as soon as the verdict is known.
"""
from __future__ import annotations

import asyncio

MAX_HEADER_BYTES = 65536
MAX_BODY_BYTES = 1 << 20  # a receive_string beyond the first MiB is not found


MALFORMED = "malformed HTTP response"


def status_of(line: bytes) -> int | None:
    """The status code of a response's status line (three digits), or None when it is
    malformed."""
    parts = line.split(None, 2)
    if (len(parts) < 2 or not parts[0].startswith(b"HTTP/") or len(parts[1]) != 3
            or not parts[1].isdigit()):
        return None
    return int(parts[1])


class ProbeError(Exception):
    """A wire-level failure; the message is the human reason."""


class HttpReading:
    """What was read: the status code and whether the body held the needle."""

    __slots__ = ("status", "found")

    def __init__(self, status: int, found: bool | None):
        self.status = status
        self.found = found


class HttpProbeProtocol(asyncio.Protocol):
    """Send ``request``; resolve ``future`` with a HttpReading or a ProbeError.

    The body is read only if ``needle`` is set, the method is not HEAD and the
    status is one of ``accept`` (a wrong status already decides the verdict).
    """

    __slots__ = ("request", "needle", "accept", "head", "future", "transport", "buf",
                 "status", "remaining", "chunked", "chunk_left", "tail", "seen", "state")

    def __init__(self, request: bytes, needle: bytes | None, accept: frozenset[int],
                 head: bool, future: asyncio.Future):
        self.request = request
        self.needle = needle
        self.accept = accept
        self.head = head
        self.future = future
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.status = 0
        self.remaining: int | None = None   # Content-Length left, None = until EOF
        self.chunked = False
        self.chunk_left = -1                # -1 size line, -2 CRLF, else bytes left
        self.tail = b""                     # last len(needle)-1 body bytes
        self.seen = 0
        self.state = 0                      # 0 headers, 1 body, 2 done
        future.add_done_callback(self._settled)

    def _settled(self, future: asyncio.Future) -> None:
        # The probe gave up (timeout): a connection that completes or lingers after
        # that must be dropped at once, not left open until the peer closes it.
        if future.cancelled() and self.transport is not None:
            self.transport.abort()

    # -- asyncio.Protocol ------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        if self.future.done():
            transport.abort()
            return
        if self.request:   # empty: the request went before this parser took over
            transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.state == 0:
            self.buf += data
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEADER_BYTES:
                    self._fail("response headers too large")
                return
            head, rest = self.buf[:end], self.buf[end + 4:]
            self.buf = b""
            if not self._headers(head):
                return
            if self.state == 1 and rest:
                self._body(rest)
        elif self.state == 1:
            self._body(data)

    def eof_received(self) -> bool:
        self._finish_eof()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.future.done():
            if exc is not None and self.state != 1:
                self._fail(_reason_of(exc))
            else:
                self._finish_eof()

    # -- parsing ---------------------------------------------------------------
    def _headers(self, head: bytes) -> bool:
        line, _, fields = head.partition(b"\r\n")
        status = status_of(line)
        if status is None:
            self._fail(MALFORMED)
            return False
        self.status = status
        if self.needle is None or self.head or self.status not in self.accept:
            self._done(None)
            return False
        for raw in fields.split(b"\r\n"):
            name, _, value = raw.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                try:
                    self.remaining = int(value.strip())
                except ValueError:
                    self._fail("malformed Content-Length")
                    return False
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                self.chunked = True
        if self.chunked:
            self.remaining = None
        if self.remaining == 0:
            self._done(False)
            return False
        self.state = 1
        return True

    def _body(self, data: bytes) -> None:
        if not self.chunked:
            if self.remaining is not None:
                data = data[:self.remaining]
                self.remaining -= len(data)
            self._scan(data)
            if self.state == 1 and self.remaining == 0:
                self._done(False)
            return
        self.buf += data
        while self.state == 1:
            if self.chunk_left == -2:       # the CRLF that closes a chunk's data
                if len(self.buf) < 2:
                    return
                self.buf = self.buf[2:]
                self.chunk_left = -1
            if self.chunk_left == -1:       # a chunk-size line
                nl = self.buf.find(b"\r\n")
                if nl < 0:
                    if len(self.buf) > 1024:
                        self._fail("malformed chunked body")
                    return
                size = self.buf[:nl].split(b";", 1)[0].strip()
                try:
                    self.chunk_left = int(size, 16)
                except ValueError:
                    self._fail("malformed chunked body")
                    return
                self.buf = self.buf[nl + 2:]
                if self.chunk_left == 0:
                    self._done(False)
                    return
            if not self.buf:
                return
            piece = self.buf[:self.chunk_left]
            self.buf = self.buf[len(piece):]
            self.chunk_left -= len(piece)
            self._scan(piece)
            if self.chunk_left == 0:
                self.chunk_left = -2

    def _scan(self, data: bytes) -> None:
        needle = self.needle
        window = self.tail + data
        if needle in window:
            self._done(True)
            return
        self.seen += len(data)
        if self.seen >= MAX_BODY_BYTES:
            self._done(False)
            return
        keep = len(needle) - 1
        self.tail = window[-keep:] if keep else b""

    def _finish_eof(self) -> None:
        if self.future.done():
            return
        if self.state == 1:
            self._done(False)
        else:
            self._fail("connection closed before a complete response" if self.buf
                       else "connection closed without a response")

    # -- outcome ---------------------------------------------------------------
    def _done(self, found: bool | None) -> None:
        self.state = 2
        if not self.future.done():
            self.future.set_result(HttpReading(self.status, found))
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, reason: str) -> None:
        self.state = 2
        if not self.future.done():
            self.future.set_exception(ProbeError(reason))
        if self.transport is not None:
            self.transport.abort()


def _reason_of(exc: BaseException) -> str:
    if isinstance(exc, ConnectionResetError):
        return "connection reset by peer"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or exc.__class__.__name__
