"""Drive ``local/runner.py`` from outside, as a user would (e2e tests and bench).

- ``RunnerProcess``: the runner as a subprocess on free ports and its own database.
- ``Endpoint``: a tiny HTTP server on a loopback address that can die and come back.
- ``Api``: REST calls to the runner's public port in ``noauth`` mode.
- ``dns_answer``: the A records the embedded DNS server answers, via dnspython;
  ``dns_answers``: the same for many names at once, from one socket.
- ``deploy``: the demo's monitor, pool of three members and GSLB, made through the API.
"""
from __future__ import annotations

import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import requests

ADDRESSES = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
FQDN = "www.example.com."
DELAY = 1   # monitor delay, seconds
DOWN = 2    # max_retries_down
RISE = 2    # max_retries


def _ephemeral_range() -> tuple[int, int]:
    """The ports the kernel gives outgoing connections (and ``bind(0)``)."""
    try:
        low, high = open("/proc/sys/net/ipv4/ip_local_port_range").read().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = "127.0.0.1", udp_too: bool = False) -> int:
    """A port free on ``host`` for TCP (and UDP when asked) right now.

    Picked below the kernel's ephemeral range when there is room: a port there is
    never handed to an outgoing connection, which could take it between this
    answer and the server binding it."""
    low, _ = _ephemeral_range()
    for _ in range(200):
        port = random.randrange(10_000, low) if low > 11_000 else 0
        try:
            with socket.socket() as s:
                s.bind((host, port))
                port = s.getsockname()[1]
            if udp_too:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind((host, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


def common_free_port(hosts: list[str]) -> int:
    """One TCP port free on every address of ``hosts``."""
    for _ in range(50):
        port = free_port(hosts[0])
        try:
            for h in hosts[1:]:
                with socket.socket() as s:
                    s.bind((h, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no common free port")


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Checkers connect thousands of times a second at scale; with the default backlog
    # of 5 the kernel dropped connections while this process was busy, and checks of
    # a live endpoint timed out (the system's limit, 4096 here, applies).
    request_queue_size = 4096

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A TCP check connects and hangs up at once: that is its way, not an error."""


class Endpoint:
    """An HTTP endpoint on ``address:port`` answering 200 (or as ``handler`` does); ``stop``
    makes it refuse connections, ``start`` again serves on the same port."""

    handler: type[BaseHTTPRequestHandler] = _Ok

    def __init__(self, address: str, port: int):
        self.address = address
        self.port = port
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> "Endpoint":
        self._server = _Quiet((self.address, self.port), self.handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def up(self) -> bool:
        return self._server is not None


def dns_answer(name: str, port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> set[str] | None:
    """A addresses served for ``name``; empty set for NOERROR/no data or NXDOMAIN; None if no reply."""
    query = dns.message.make_query(name, dns.rdatatype.A)
    try:
        reply = dns.query.udp(query, host, port=port, timeout=timeout)
    except (dns.exception.Timeout, OSError):
        return None
    if reply.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return None
    return {rd.address for rrset in reply.answer if rrset.rdtype == dns.rdatatype.A for rd in rrset}


#: queries ``dns_answers`` keeps in flight at once, and after how long one is sent again
IN_FLIGHT = 64
RESEND_AFTER = 0.5


def dns_answers(names: list[str], port: int, host: str = "127.0.0.1",
                timeout: float = 2.0) -> dict[str, set[str] | None]:
    """``dns_answer`` of each of ``names``, asked from one UDP socket with up to ``IN_FLIGHT``
    queries in flight (one unanswered after ``RESEND_AFTER`` is sent again, as a resolver
    would), the replies read without dnspython: a benchmark polling hundreds of names
    several times a second spent a fifth of a core on dnspython's queries, taken from
    the functions it measures. A name without a reply within ``timeout`` is None."""
    out: dict[str, set[str] | None] = {name: None for name in names}
    waiting: dict[int, tuple[str, float]] = {}   # query id -> (name, sent at)
    todo = list(reversed(names))
    end = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((host, port))
            while (todo or waiting) and time.monotonic() < end:
                now = time.monotonic()
                for qid, (name, sent) in list(waiting.items()):
                    if now - sent > RESEND_AFTER:
                        waiting[qid] = (name, now)
                        sock.send(_query_wire(name, qid))
                while todo and len(waiting) < IN_FLIGHT:
                    qid = random.randrange(65536)
                    if qid not in waiting:
                        waiting[qid] = (todo[-1], now)
                        sock.send(_query_wire(todo.pop(), qid))
                if not select.select([sock], [], [], min(RESEND_AFTER, max(0.0, end - now)))[0]:
                    continue
                reply = sock.recv(4096)
                parsed = _a_reply(reply)
                # the same id as a query in flight, and its question (not a late reply to
                # an earlier query that had the id)
                if parsed is not None and parsed[0] in waiting and reply[12:].startswith(
                        _question(waiting[parsed[0]][0])):
                    name = waiting.pop(parsed[0])[0]
                    out[name] = parsed[2] if parsed[1] in (0, 3) else None   # NOERROR, NXDOMAIN
        except OSError:   # nothing listens there (refused): no reply, as dns_answer says
            pass
    return out


def _question(name: str, rtype: int = 1) -> bytes:
    """The question section asking ``name``'s records of ``rtype`` (A; class IN)."""
    labels = b"".join(bytes([len(x)]) + x.encode() for x in name.rstrip(".").split(".") if x)
    return labels + b"\0" + struct.pack("!HH", rtype, 1)


def _query_wire(name: str, qid: int) -> bytes:
    """A recursion-desired query for ``name``'s A records."""
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + _question(name)


def _skip_name(wire: bytes, pos: int) -> int:
    while wire[pos]:
        if wire[pos] & 0xC0 == 0xC0:   # a pointer ends the name
            return pos + 2
        pos += wire[pos] + 1
    return pos + 1


def _a_reply(wire: bytes) -> tuple[int, int, set[str]] | None:
    """(id, rcode, A addresses of the answer section) of a reply; None if it is not one."""
    try:
        qid, flags, questions, answers = struct.unpack_from("!HHHH", wire)
        if not flags & 0x8000:
            return None
        pos = 12
        for _ in range(questions):
            pos = _skip_name(wire, pos) + 4
        found = set()
        for _ in range(answers):
            pos = _skip_name(wire, pos)
            rtype, _klass, _ttl, size = struct.unpack_from("!HHIH", wire, pos)
            pos += 10
            if rtype == 1 and size == 4:
                found.add(socket.inet_ntoa(wire[pos:pos + 4]))
            pos += size
    except (IndexError, struct.error):
        return None
    return qid, flags & 0xF, found


#: the query type asking for a whole zone (RFC 5936)
AXFR = 252


def _read_name(wire: bytes, pos: int) -> tuple[str, int]:
    """The name at ``pos`` (compression pointers followed) and the position after it."""
    labels: list[str] = []
    end = None
    for _ in range(128):   # a loop of pointers is not a name
        size = wire[pos]
        if size & 0xC0 == 0xC0:
            end = pos + 2 if end is None else end
            pos = ((size & 0x3F) << 8) | wire[pos + 1]
            continue
        if not size:
            return ".".join(labels).lower() + ".", (pos + 1 if end is None else end)
        labels.append(wire[pos + 1:pos + 1 + size].decode("ascii", "replace"))
        pos += size + 1
    raise ValueError("a DNS name that does not end")


def zone_addresses(zone: str, port: int, host: str = "127.0.0.1",
                   timeout: float = 10.0) -> dict[str, set[str]]:
    """Every name of ``zone`` with A records and their addresses, from one zone transfer
    (AXFR over TCP), read without dnspython. Polling thousands of names several times a
    second took a DNS query each: the server answering and the poller took half a core of
    the two they measured. A name whose records the server computes when asked (a LUA
    record) is not in it."""
    qid = random.randrange(65536)
    query = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + _question(zone, AXFR)
    out: dict[str, set[str]] = {}
    soas = 0
    with socket.create_connection((host, port), timeout=timeout) as sock, \
            sock.makefile("rb") as reader:
        sock.sendall(struct.pack("!H", len(query)) + query)
        while soas < 2:
            head = reader.read(2)
            if len(head) < 2:
                raise ConnectionError(f"zone transfer of {zone} ended early")
            wire = reader.read(struct.unpack("!H", head)[0])
            rid, flags, questions, answers = struct.unpack_from("!HHHH", wire)
            if rid != qid or flags & 0xF:
                raise ConnectionError(f"zone transfer of {zone} refused (rcode {flags & 0xF})")
            pos = 12
            for _ in range(questions):
                pos = _skip_name(wire, pos) + 4
            for _ in range(answers):
                name, pos = _read_name(wire, pos)
                rtype, _klass, _ttl, size = struct.unpack_from("!HHIH", wire, pos)
                pos += 10
                if rtype == 1 and size == 4:
                    out.setdefault(name, set()).add(socket.inet_ntoa(wire[pos:pos + 4]))
                elif rtype == 6:
                    soas += 1
                pos += size
    return out


def wait_for(pred: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Poll ``pred`` until truthy; return its value, or raise TimeoutError."""
    end = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > end:
            raise TimeoutError(f"condition not met within {timeout}s")
        time.sleep(interval)


class Api:
    """The REST API on the runner's public port, as project ``project`` with role member."""

    def __init__(self, base_url: str, project: str = "e2e-project"):
        self.base = base_url.rstrip("/")
        self.headers = {"X-Project-Id": project, "X-Roles": "member"}
        self.session = requests.Session()

    #: seconds to wait for an answer: the api bounds each conductor call at 10 s, and a
    #: busy machine adds its own delay on top of that
    TIMEOUT = 30
    #: tries of a create that timed out or got a 503 (a retryable answer)
    CREATE_TRIES = 5

    def call(self, method: str, path: str, body: dict | None = None, expect: int | None = None) -> Any:
        r = self.session.request(method, self.base + path, json=body, headers=self.headers,
                                 timeout=self.TIMEOUT)
        if expect is not None and r.status_code != expect:
            raise AssertionError(f"{method} {path}: HTTP {r.status_code} {r.text[:500]}")
        return r.json() if r.content else None

    def post(self, path: str, body: dict) -> Any:
        """Create, as a careful client does: with an Idempotency-Key, tried again after a
        timeout or a 503, so a slow create is neither lost nor made twice."""
        key = {"Idempotency-Key": str(uuid.uuid4())}
        for attempt in range(self.CREATE_TRIES):
            try:
                r = self.session.post(self.base + path, json=body, headers={**self.headers, **key},
                                      timeout=self.TIMEOUT)
            except requests.RequestException:
                r = None
            if r is not None and r.status_code != 503:
                if r.status_code != 201:
                    raise AssertionError(f"POST {path}: HTTP {r.status_code} {r.text[:500]}")
                return r.json()
            time.sleep(1 + attempt)
        raise AssertionError(f"POST {path}: no answer but 503s or timeouts in {self.CREATE_TRIES} tries")

    def get(self, path: str) -> Any:
        return self.call("GET", path, expect=200)

    def region(self, name: str, mode: str, addresses: list[str] | None = None) -> Any:
        body: dict[str, Any] = {"mode": mode}
        if addresses is not None:
            body["addresses"] = addresses
        return self.call("POST", f"/_runner/regions/{name}", body, expect=200)


class PortTaken(RuntimeError):
    """The runner exited because a port it was given was no longer free."""


class RunnerProcess:
    """``python local/runner.py`` in a subprocess on free ports; its log kept in a file."""

    def __init__(self, root: Path, workdir: Path, db_url: str, regions: list[str] | None = None,
                 tick: float = 1.0, extra: list[str] | None = None, python: str = sys.executable,
                 env: dict[str, str] | None = None):
        self.root = root
        self.workdir = workdir
        self.db_url = db_url
        self.regions = regions or ["RegionOne", "RegionTwo"]
        self.tick = tick
        self.extra = list(extra or [])
        self.python = python
        self.env = dict(env or {})   # KOSMOS_ settings of the user's shell (e.g. PowerDNS)
        self.port = free_port()
        self.dns_port = free_port(udp_too=True)
        self.log_path = workdir / f"runner-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0, attempts: int = 3) -> "RunnerProcess":
        """Start the runner; when a port picked free was taken meanwhile (an outgoing
        connection's ephemeral port, another test's server), pick new ones and start again."""
        for attempt in range(1, attempts + 1):
            try:
                return self._start_once(timeout)
            except PortTaken:
                if attempt == attempts:
                    raise
                self.port = free_port()
                self.dns_port = free_port(udp_too=True)
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> "RunnerProcess":
        cmd = [self.python, str(self.root / "local" / "runner.py"), "--port", str(self.port),
               "--dns-port", str(self.dns_port), "--db", self.db_url,
               "--regions", ",".join(self.regions), "--tick", str(self.tick), *self.extra]
        env = {k: v for k, v in os.environ.items() if not k.startswith("KOSMOS_")}
        env.update(self.env)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        try:
            wait_for(self._ready, timeout, interval=0.2)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"runner did not come up:\n{self.log_tail()}") from None
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            tail = self.log_tail()
            code = self.stop()
            kind = PortTaken if "Address already in use" in tail else RuntimeError
            raise kind(f"runner exited with {code}:\n{tail}")
        try:
            return requests.get(self.url + "/_runner/regions", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, as a service manager would; return the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        code = self.proc.returncode
        self.proc = None
        return code

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Deployment:
    runner: RunnerProcess
    api: Api
    gslb: dict
    pool: dict
    members: dict[str, dict] = field(default_factory=dict)

    def answer(self, name: str = FQDN) -> set[str] | None:
        return dns_answer(name, self.runner.dns_port)

    def wait_answer(self, expected: set[str], timeout: float, name: str = FQDN) -> float:
        """Seconds until the DNS answer equals ``expected`` (TimeoutError with the last seen)."""
        t0 = time.monotonic()
        seen: list = []

        def ok():
            seen[:] = [self.answer(name)]
            return seen[0] == expected
        try:
            wait_for(ok, timeout, interval=0.05)
        except TimeoutError:
            raise AssertionError(f"answer for {name} was {seen[0]}, expected {sorted(expected)} "
                                 f"within {timeout}s\n{self.runner.log_tail(80)}") from None
        return time.monotonic() - t0

    def statuses(self) -> dict[str, str]:
        """Each member's cross-region operating status, by address (from the GSLB's status tree)."""
        tree = self.api.get(f"/v1/gslbs/{self.gslb['id']}/status")
        return {m["member"]["address"]: m["operating_status"]
                for p in tree["pools"] for m in p["members"]}

    def wait_statuses(self, expected: dict[str, str], timeout: float) -> None:
        """Wait until the members' statuses are ``expected`` (new members start NO_MONITOR)."""
        seen: list = [None]

        def ok():
            seen[0] = self.statuses()
            return seen[0] == expected
        try:
            wait_for(ok, timeout, interval=0.1)
        except TimeoutError:
            raise AssertionError(f"member statuses were {seen[0]}, expected {expected} "
                                 f"within {timeout}s\n{self.runner.log_tail(80)}") from None

    def wait_all_online(self, timeout: float = 20) -> None:
        """Wait until every address of the pool is ONLINE and answered."""
        self.wait_statuses({a: "ONLINE" for a in ADDRESSES}, timeout)
        self.wait_answer(set(ADDRESSES), timeout=5)


def deploy(runner: RunnerProcess, port: int, all_down: str = "ALL", fqdn: str = FQDN,
           api: Api | None = None, pool: dict | None = None, zone: str = "example.com.") -> Deployment:
    """Create the demo's monitor, pool of three members and GSLB through the REST API."""
    api = api or Api(runner.url)
    members: dict[str, dict] = {}
    if pool is None:
        mon = api.post("/v1/monitors", {"name": "web", "type": "HTTP", "delay": DELAY, "timeout": 0.5,
                                        "max_retries": RISE, "max_retries_down": DOWN})
        pool = api.post("/v1/pools", {"name": "web", "monitor_ids": [mon["id"]]})
        for a in ADDRESSES:
            members[a] = api.post(f"/v1/pools/{pool['id']}/pool_members",
                                  {"name": a, "address": a, "port": port})
    gslb = api.post("/v1/gslbs", {"name": fqdn, "fqdn": fqdn, "zone_name": zone,
                                  "ttl": 5, "all_down": all_down,
                                  "pools": [{"pool_id": pool["id"], "priority": 1}]})
    return Deployment(runner, api, gslb, pool, members)
