"""HTTP and HTTPS checks: every HTTP field of a monitor (API.md).

``method``, ``url_path``, ``expected_codes`` (ranges included), ``receive_string``,
``headers`` (``Host`` included), ``payload``; for HTTPS also ``ca_cert``,
``insecure`` and SNI. One connection per probe, ``Connection: close``, and the
connection is reset (not closed gracefully) once the verdict is known, so
thousands of probes a second leave no TIME_WAIT sockets behind.

HEAD responses carry no body, so a ``receive_string`` is not looked for.

TLS: the chain is verified against ``ca_cert`` when given, else the system
trust store; the name verified (and sent as SNI) is the ``Host`` header's host
when the monitor sets one, else the member's address. ``insecure`` skips both.
"""
from __future__ import annotations

import asyncio
import ssl
import time
from functools import lru_cache
from typing import Callable

from kosmos.probes.base import Check, CheckFailed, Outcome, Target, elapsed_ms
from kosmos.probes.httpwire import HttpProbeProtocol, ProbeError, HttpReading
from kosmos.probes.reactor import Reactor
from kosmos.probes.socketprobe import SocketProbe, connect_reason, ip_literal, reporting
from kosmos.contracts.events import MonitorSpec
from kosmos.contracts.resources import expand_codes

USER_AGENT = "kosmos-checker/1"


class _Prepared:
    """Per (monitor, target) request bytes and settings, built once per batch."""

    __slots__ = ("request", "needle", "accept", "head", "codes_text", "sni")

    def __init__(self, target: Target, tls: bool):
        m = target.monitor
        host_header = next((v for k, v in m.headers.items() if k.lower() == "host"), None)
        default_port = 443 if tls else 80
        addr = target.address or ""
        host = f"[{addr}]" if ":" in addr else addr
        if target.port != default_port:
            host = f"{host}:{target.port}"
        lines = [f"{m.http_method} {m.url_path} HTTP/1.1", f"Host: {host_header or host}"]
        names = {k.lower() for k in m.headers}
        if "user-agent" not in names:
            lines.append(f"User-Agent: {USER_AGENT}")
        if "accept" not in names:
            lines.append("Accept: */*")
        lines.extend(f"{k}: {v}" for k, v in m.headers.items() if k.lower() not in ("host", "connection"))
        lines.append("Connection: close")
        body = b""
        if m.payload is not None:
            body = str(m.payload.get("content", "")).encode()
            if "content-type" not in names:
                lines.append(f"Content-Type: {m.payload.get('content_type', 'application/json')}")
            lines.append(f"Content-Length: {len(body)}")
        elif m.http_method in ("POST", "PUT"):
            lines.append("Content-Length: 0")
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body
        self.needle = m.receive_string.encode() if m.receive_string else None
        self.accept = _accept(tuple(m.expected_codes))
        self.head = m.http_method == "HEAD"
        self.codes_text = "[" + ", ".join(str(c) for c in m.expected_codes) + "]"
        self.sni = _host_only(host_header) if host_header else addr


class HttpCheck(Check):
    """``type: HTTP``."""

    name = "HTTP"
    tls = False

    async def probe(self, target: Target) -> Outcome:
        prep = target.scratch.get(self.name)
        if prep is None:
            prep = target.scratch[self.name] = _Prepared(target, self.tls)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        started = time.perf_counter()
        transport = None
        try:
            try:
                transport, _ = await loop.create_connection(
                    lambda: HttpProbeProtocol(prep.request, prep.needle, prep.accept, prep.head, future),
                    target.address, target.port, **self._tls_args(target.monitor, prep))
            except ssl.SSLCertVerificationError as exc:
                raise CheckFailed(f"certificate verify failed: {exc.verify_message}",
                                  elapsed_ms(started)) from None
            except ssl.SSLError as exc:
                raise CheckFailed(f"TLS handshake failed: {exc.reason or exc}", elapsed_ms(started)) from None
            except OSError as exc:
                raise CheckFailed(connect_reason(exc), elapsed_ms(started)) from None
            try:
                verdict: HttpReading = await future
            except ProbeError as exc:
                raise CheckFailed(str(exc), elapsed_ms(started)) from None
        finally:
            # Settle the future now: a connection dropped after a timeout must not
            # fail it later with nobody left to read the error.
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()
            if transport is not None:
                transport.abort()
        return _verdict(prep, target, verdict, elapsed_ms(started))

    def starts(self, target: Target) -> bool:
        """Whether ``start`` serves this target: plain HTTP to an IP address."""
        return not self.tls and ip_literal(target.address)

    def start(self, target: Target, timeout: float,
              report: Callable[[Outcome | None], None], reactor: Reactor) -> SocketProbe:
        """Probe on the loop's callbacks (``kosmos.probes.socketprobe``); ``report`` gets
        the outcome, or None when ``timeout`` passed first. The probe, to abort it."""
        prep = target.scratch.get(self.name)
        if prep is None:
            prep = target.scratch[self.name] = _Prepared(target, self.tls)
        probe = SocketProbe(reactor, reporting(
            report, lambda reading, latency: _verdict(prep, target, reading, latency)))
        probe.start(target.address, target.port, timeout, prep.request, prep.needle,
                    prep.accept, prep.head)
        return probe

    def _tls_args(self, monitor: MonitorSpec, prep: _Prepared) -> dict:
        return {}


class HttpsCheck(HttpCheck):
    """``type: HTTPS``: HTTP over TLS with ``ca_cert``, ``insecure`` and SNI."""

    name = "HTTPS"
    #: A full TLS handshake per probe: about six plain probes of CPU (bench/bench_checker.py).
    cost = 6.0
    tls = True

    def _tls_args(self, monitor: MonitorSpec, prep: _Prepared) -> dict:
        ctx = tls_context(monitor.ca_cert, monitor.insecure)
        # The runner's timeout (monitor.timeout) must be what ends a slow handshake, so
        # the reason reads "timeout after ..." and overload is judged the same way.
        return {"ssl": ctx, "server_hostname": prep.sni or None,
                "ssl_handshake_timeout": monitor.timeout + 5.0}


@lru_cache(maxsize=256)
def tls_context(ca_cert: str | None, insecure: bool) -> ssl.SSLContext:
    """A client TLS context, cached: building one with the system store costs milliseconds."""
    if insecure:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif ca_cert:
        ctx = ssl.create_default_context(cadata=ca_cert)
    else:
        ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def _verdict(prep: _Prepared, target: Target, reading: HttpReading, latency: float) -> Outcome:
    if reading.status not in prep.accept:
        return Outcome(False, f"HTTP {reading.status} not in {prep.codes_text}", latency)
    if reading.found is False:
        return Outcome(False, f"body lacks {target.monitor.receive_string!r}", latency)
    reason = _OK_REASONS.get(reading.status)
    if reason is None:
        reason = _OK_REASONS[reading.status] = f"HTTP {reading.status}"   # three digits
    return Outcome(True, reason, latency)


#: "HTTP 200" and the like, made once per status rather than once per probe
_OK_REASONS: dict[int, str] = {}


@lru_cache(maxsize=1024)
def _accept(codes: tuple[int | str, ...]) -> frozenset[int]:
    return frozenset(expand_codes(list(codes)))


def _host_only(host: str) -> str:
    host = host.strip()
    if host.startswith("["):
        return host[1:host.find("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

