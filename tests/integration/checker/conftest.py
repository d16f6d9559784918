"""Fixtures: real local HTTP, HTTPS and TCP endpoints for the probe tests, and a test CA."""
from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections import Counter
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fixtures.checks import checks_due_answer


def _response(status: int, body: bytes, extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n"
    return head.encode() + body


#: requests the endpoints served, by path (a test counts its own path's)
REQUESTS: Counter[str] = Counter()


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await reader.readexactly(length) if length else b""
        method, path = head.split(b" ", 2)[:2]
        REQUESTS[path.decode()] += 1
        if path == b"/slow":
            await asyncio.sleep(5)
            out = _response(200, b"late")
        elif path == b"/503":
            out = _response(503, b"down")
        elif path == b"/echo":
            out = _response(200, head + body)
        elif path == b"/chunked":
            out = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5\r\nhello\r\n4\r\n SUC\r\n4\r\nCESS\r\n0\r\n\r\n")
        elif path == b"/big":
            out = _response(200, b"x" * 300_000 + b"SUCCESS")
        elif path == b"/eof":
            out = b"HTTP/1.1 200 OK\r\n\r\nno length, then SUCC" + b"ESS at the end"
        elif path == b"/teapot":
            out = _response(418, b"short and stout")
        else:
            out = _response(200, b"all good: SUCCESS" if method != b"HEAD" else b"")
        writer.write(out)
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


class ServerThread:
    """An asyncio loop in a thread serving ``_handle`` on 127.0.0.1 (optionally TLS)."""

    def __init__(self, ssl_ctx: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.loop = asyncio.new_event_loop()
        self.ssl_ctx = ssl_ctx
        self.port = 0
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            server = self.loop.run_until_complete(
                asyncio.start_server(_handle, host, 0, ssl=ssl_ctx))
            self.port = server.sockets[0].getsockname()[1]
            self.server = server
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait(5)

    def close(self) -> None:
        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop)
        self.thread.join(5)


@dataclass
class TestCA:
    ca_pem: str
    cert_pem: bytes
    key_pem: bytes

    def server_context(self, tmp_path) -> ssl.SSLContext:
        cert, key = tmp_path / "server.pem", tmp_path / "server.key"
        cert.write_bytes(self.cert_pem)
        key.write_bytes(self.key_pem)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        return ctx


def make_ca(names: tuple[str, ...] = ("kosmos.test",), ips: tuple[str, ...] = ("127.0.0.1",)) -> TestCA:
    """A self-signed CA and a server certificate it issued for ``names`` and ``ips``."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kosmos Test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return TestCA(ca.public_bytes(pem).decode(), cert.public_bytes(pem),
                  key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class SilentPeer:
    """Accepts TCP connections and never answers (an HTTP probe must time out)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


class HangingListener:
    """A listener whose accept queue is full, so new connects are never answered."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.fillers = []
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(c)

    def close(self) -> None:
        for c in self.fillers:
            c.close()
        self.sock.close()


@pytest.fixture(scope="module")
def http_server():
    server = ServerThread()
    yield server
    server.close()


@pytest.fixture(scope="module")
def ipv6_http_server():
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this host")
    server = ServerThread(host="::1")
    yield server
    server.close()


@pytest.fixture(scope="module")
def test_ca():
    return make_ca()


@pytest.fixture(scope="module")
def https_server(test_ca, tmp_path_factory):
    server = ServerThread(test_ca.server_context(tmp_path_factory.mktemp("tls")))
    yield server
    server.close()


@pytest.fixture
def closed():
    return closed_port()


@pytest.fixture
def silent_peer():
    peer = SilentPeer()
    yield peer
    peer.close()


@pytest.fixture
def hanging_listener():
    peer = HangingListener()
    yield peer
    peer.close()


class FakeConductorTransport:
    """Serves checks.due / endpoints.set from memory (until a real conductor fixture is used)."""

    def __init__(self, checks=None):
        self.checks = list(checks or [])
        self.endpoint_updates = []

    def send(self, envelope):
        op, args = envelope["op"], envelope["args"]
        if op == "checks.due":
            return 200, {"result": checks_due_answer(self.checks)}
        if op == "endpoints.set":
            self.endpoint_updates.extend(args["updates"])
            return 200, {"result": {"changed": [u["member_id"] for u in args["updates"]]}}
        return 400, {"error": {"code": 400, "type": "ValidationError", "message": f"unknown op {op}"}}


@pytest.fixture
def fake_conductor_transport():
    return FakeConductorTransport()
