"""A keep-alive HTTP/1.1 client for one plain-HTTP origin, parsed minimally.

Every call between functions goes to a fixed ``http://`` origin inside the
deployment (the conductor, the broker, the runner's functions) and carries a
JSON body with a handful of headers. urllib3 spent most of such a call in
``http.client``'s answer parsing (headers through ``email.parser``): about a
third of the api function's CPU per request. This client writes the request
in one ``sendall`` and reads the answer with a few ``bytes`` operations.

Kept simple on purpose: no TLS, no proxy, no redirects, no retries of its own
(``client_for`` picks urllib3 for everything else). One exception to "no
retries": a kept-alive connection the server closed while idle fails before
any byte of an answer comes back; the request is then sent once more on a new
connection, because the server never read it (the case urllib3 avoids by
checking a connection before reusing it, which this client does too).

Nothing unvalidated goes onto the wire: a method, target or header holding a
control character is refused (``ValueError``) before anything is sent.
"""
from __future__ import annotations

import re
import select
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

#: an answer's head (status line and headers) larger than this is refused
MAX_HEAD = 64 * 1024
_CHUNK = 65536
_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_VALUE = re.compile(rb"^[^\x00-\x08\x0a-\x1f\x7f]*$")
_TARGET = re.compile(rb"^/[\x21-\x7e]*$")
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


@dataclass(frozen=True)
class Answer:
    """A whole HTTP answer."""

    status: int
    headers: urllib3.HTTPHeaderDict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class ProtocolError(OSError):
    """The origin's answer is not HTTP/1.1 as this client reads it (a transport error)."""


class _Dropped(OSError):
    """A reused connection failed before any byte of its answer: the request was not read."""


class PlainClient:
    """Requests to the plain-HTTP origin of ``url`` over connections kept alive and
    shared by the caller's threads (at most ``pool_size`` kept idle)."""

    def __init__(self, url: str, timeout: float, pool_size: int = 64):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"not a plain-HTTP URL: {url!r}")
        self.url = url
        self.origin = f"http://{parts.netloc}"
        self.address = (parts.hostname, parts.port or 80)
        self.host_header = parts.netloc.encode("ascii")
        self.timeout = timeout
        self.pool_size = pool_size
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()

    # -- the request ------------------------------------------------------------

    def request(self, method: str, url: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        """``method url`` (an absolute URL under this client's origin) with ``body``."""
        head = self._head(method, url, body, headers or {})
        payload = head + body if body else head
        sock, reused = self._take()
        try:
            status, fields, data, keep = self._exchange(sock, payload, reused, method)
        except _Dropped:
            sock.close()
            sock = self._connect()
            status, fields, data, keep = self._exchange(sock, payload, False, method)
        except BaseException:
            sock.close()
            raise
        if keep:
            self._give_back(sock)
        else:
            sock.close()
        return Answer(status, urllib3.HTTPHeaderDict(fields), data)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        return self.request("POST", url, body, headers)

    def _head(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> bytes:
        if not url.startswith(self.origin) or url[len(self.origin):len(self.origin) + 1] not in ("/", ""):
            raise ValueError(f"{url!r} is not under {self.origin}")
        target = (url[len(self.origin):] or "/").encode("ascii")
        verb = method.encode("ascii")
        if not _TOKEN.match(verb) or not _TARGET.match(target):
            raise ValueError(f"refusing to send {method!r} {url!r}: not a valid request line")
        lines = [verb + b" " + target + b" HTTP/1.1"]
        host = self.host_header   # the origin's, unless the caller names one (a proxy does)
        for name, value in headers.items():
            k, v = name.encode("latin-1"), str(value).encode("latin-1")
            if not _TOKEN.match(k) or not _VALUE.match(v):
                raise ValueError(f"refusing to send header {name!r}: a control character")
            low = k.lower()
            if low == b"host":
                host = v
            elif low not in (b"content-length", b"transfer-encoding"):   # written below
                lines.append(k + b": " + v)
        lines.insert(1, b"Host: " + host)
        if body or method not in ("GET", "HEAD", "DELETE"):
            lines.append(b"Content-Length: " + str(len(body or b"")).encode())
        return b"\r\n".join(lines) + b"\r\n\r\n"

    # -- connections ------------------------------------------------------------

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _take(self) -> tuple[socket.socket, bool]:
        while True:
            with self._lock:
                sock = self._idle.pop() if self._idle else None
            if sock is None:
                return self._connect(), False
            try:
                readable = select.select([sock], [], [], 0)[0]
            except (OSError, ValueError):
                readable = [sock]
            if not readable:   # nothing waiting: still open (a closed one reads EOF)
                return sock, True
            sock.close()

    def _give_back(self, sock: socket.socket) -> None:
        with self._lock:
            if len(self._idle) < self.pool_size:
                self._idle.append(sock)
                return
        sock.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sock in idle:
            sock.close()

    # -- the answer -------------------------------------------------------------

    def _exchange(self, sock: socket.socket, payload: bytes, reused: bool,
                  method: str) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        try:
            sock.sendall(payload)
            _quick_ack(sock)
            buf = sock.recv(_CHUNK)
        except (ConnectionResetError, BrokenPipeError) as exc:
            if reused:
                raise _Dropped(str(exc)) from exc
            raise
        if not buf:
            if reused:
                raise _Dropped("connection closed before an answer")
            raise ProtocolError("connection closed before an answer")
        while b"\r\n\r\n" not in buf:
            if len(buf) > MAX_HEAD:
                raise ProtocolError("answer head too large")
            more = sock.recv(_CHUNK)
            if not more:
                raise ProtocolError("connection closed within an answer's head")
            buf += more
        end = buf.index(b"\r\n\r\n")
        head, rest = buf[:end].decode("latin-1"), buf[end + 4:]
        status_line, *header_lines = head.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
        status = int(parts[1])
        fields: list[tuple[str, str]] = []
        length: int | None = None
        chunked = close = False
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise ProtocolError(f"malformed header line: {line[:80]!r}")
            value = value.strip()
            fields.append((name, value))
            low = name.lower()
            if low == "content-length":
                if not value.isdigit():
                    raise ProtocolError(f"bad Content-Length: {value[:40]!r}")
                length = int(value)
            elif low == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif low == "connection":
                close = "close" in value.lower()
        if parts[0] == "HTTP/1.0":
            close = close or not any(n.lower() == "connection" and "keep-alive" in v.lower()
                                     for n, v in fields)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return status, fields, b"", not close
        if chunked:
            return status, fields, _read_chunked(sock, rest), not close
        if length is None:   # the body runs to the end of the connection
            data = [rest]
            while True:
                more = sock.recv(_CHUNK)
                if not more:
                    return status, fields, b"".join(data), False
                data.append(more)
        data = [rest]
        have = len(rest)
        while have < length:
            more = sock.recv(min(_CHUNK, length - have))
            if not more:
                raise ProtocolError("connection closed within an answer's body")
            data.append(more)
            have += len(more)
        body = b"".join(data)
        if have > length:
            raise ProtocolError("more bytes than the answer's Content-Length")
        return status, fields, body, not close


def _quick_ack(sock: socket.socket) -> None:
    """Acknowledge the answer's segments at once (Linux; the kernel clears it again).

    Without it, calls on the first connection to a freshly started gunicorn server took
    44 ms each, every time (``bench/bench_http_client.py`` with the client first: three
    runs of three): a wait on this end's delayed ACK, which a quick ACK ends.
    """
    if _QUICKACK is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        except OSError:
            pass


def _read_chunked(sock: socket.socket, buf: bytes) -> bytes:
    out: list[bytes] = []

    def fill(n: int) -> None:
        nonlocal buf
        while len(buf) < n:
            more = sock.recv(_CHUNK)
            if not more:
                raise ProtocolError("connection closed within a chunked body")
            buf += more

    while True:
        while b"\r\n" not in buf:
            if len(buf) > MAX_HEAD:
                raise ProtocolError("chunk size line too long")
            fill(len(buf) + 1)
        line, _, buf = buf.partition(b"\r\n")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size: {size_text[:20]!r}") from None
        if size == 0:
            # trailers, then the blank line that ends the body
            while True:
                while b"\r\n" not in buf:
                    fill(len(buf) + 1)
                trailer, _, buf = buf.partition(b"\r\n")
                if not trailer:
                    return b"".join(out)
        fill(size + 2)
        out.append(buf[:size])
        if buf[size:size + 2] != b"\r\n":
            raise ProtocolError("chunk not followed by CRLF")
        buf = buf[size + 2:]
