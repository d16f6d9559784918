"""Checker throughput: HTTP probes against thousands of loopback endpoints.

Endpoints are distinct loopback addresses on one port: 80 % served by nginx
(one worker; a small asyncio server when nginx is not installed), 10 % by a
server that answers only after twice the timeout, 10 % closed. Every endpoint
is checked every second (delay 1 s, timeout 0.5 s) through the production
path: CheckerService.run_batch (scheduler, runner, HTTP check, results
encoded as CheckResults events). Prints sustained checks/s, checker CPU
seconds per 1,000 checks, peak RSS and how many verdicts were right.

``--compare`` first runs a closed-loop comparison of probe engines (uvloop or
asyncio with the lean protocol, asyncio streams, threads with http.client,
aiohttp when importable) on the healthy endpoints: how the checker's design
was chosen. The machine is shared and has two cores, one of which serves the
endpoints: figures are noisy.

    python bench/bench_checker.py [--n 1000,5000] [--seconds 10] [--compare] [--https]

Measured on the 2-core development machine (shared; nginx holds most of the
other core), 10 s windows, probe concurrency 500, the warm instance's
garbage-collector settings:
- HTTP N=1,000 and N=5,000: every check on time, about 0.05 CPU s per 1,000
  checks, 62 and 83 MiB peak RSS, every verdict right.
- HTTP N=10,000: 10,000 checks/s in one process, 0.046 CPU s per 1,000, 115
  MiB, every verdict right and no slot dropped. (Earlier machines managed about
  4,600 checks/s here; a region larger than one process serves is cut into
  batches that several checker instances run.)
- HTTPS (full TLS handshake verified against a CA each probe), measured
  earlier: 0.6-0.8 CPU s per 1,000, so about 1,000 checks/s per core; past
  that, slots are dropped and no false "down" is published.
``bench_checker_vs_haproxy.py`` compares the CPU per check with HAProxy's.
Engines, closed loop, CPU s per 1,000 probes (median of 3): uvloop + lean
protocol 0.06-0.07, uvloop + asyncio streams about the same, asyncio + lean
protocol 0.13, threads + http.client 0.25-0.33, aiohttp on uvloop 0.26-0.29
(aiohttp installed aside for the measurement, not a dependency).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport  # noqa: E402
from kosmos.adapters.emitter import body_of  # noqa: E402
from kosmos.adapters.emitter import Event, Emitter  # noqa: E402
from kosmos.checker.service import CheckerService, new_event_loop  # noqa: E402
from kosmos.probes.registry import load_checks  # noqa: E402
from kosmos import gc_tuning  # noqa: E402
from kosmos.config import Settings  # noqa: E402
from kosmos.contracts.events import CheckBatch  # noqa: E402

PORT = 18080
TIMEOUT = 0.5
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "500"))


def addr(block: int, i: int) -> str:
    return f"127.{block}.{i // 250}.{i % 250 + 1}"


def endpoints(n: int) -> dict[str, list[str]]:
    tenth = n // 10
    return {"healthy": [addr(1, i) for i in range(n - 2 * tenth)],
            "slow": [addr(2, i) for i in range(tenth)],
            "closed": [addr(3, i) for i in range(tenth)]}


# --------------------------------------------------------------------------- servers

def start_nginx(addrs: list[str], workdir: Path, tls: bool = False) -> subprocess.Popen | None:
    ssl = " ssl" if tls else ""
    listens = "\n".join(f"    listen {a}:{PORT}{ssl};" for a in addrs)
    if tls:
        listens += (f"\n    ssl_certificate {workdir}/cert.pem;"
                    f"\n    ssl_certificate_key {workdir}/key.pem;")
    return run_nginx(workdir, f"""  server {{
{listens}
    location / {{ return 200 "OK\\n"; }}
  }}""")


def run_nginx(workdir: Path, servers: str) -> subprocess.Popen | None:
    """nginx with one worker serving ``servers`` (its ``server`` blocks); None when it is
    not installed."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not nginx:
        return None
    (workdir / "nginx.conf").write_text(f"""
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log crit;
worker_rlimit_nofile 65535;
events {{ worker_connections 16384; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/body;
  proxy_temp_path {workdir}/proxy;
  fastcgi_temp_path {workdir}/fastcgi;
  uwsgi_temp_path {workdir}/uwsgi;
  scgi_temp_path {workdir}/scgi;
{servers}
}}
""")
    return subprocess.Popen([nginx, "-p", str(workdir), "-c", str(workdir / "nginx.conf"),
                             "-g", "daemon off;"], stderr=subprocess.DEVNULL)


def make_tls(workdir: Path) -> str:
    """A CA and a server certificate for ``bench.test`` (ECDSA P-256); returns the CA PEM."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench CA")])

    def build(subject, public_key, ca: bool, sans=None):
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name)
             .public_key(public_key).serial_number(x509.random_serial_number())
             .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if sans:
            b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return b.sign(ca_key, hashes.SHA256())

    ca = build(ca_name, ca_key.public_key(), True)
    leaf = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench.test")]),
                 key.public_key(), False, [x509.DNSName("bench.test")])
    pem = serialization.Encoding.PEM
    (workdir / "cert.pem").write_bytes(leaf.public_bytes(pem))
    (workdir / "key.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    return ca.public_bytes(pem).decode()


def start_python_server(addrs: list[str], delay: float, workdir: Path, name: str) -> subprocess.Popen:
    path = workdir / f"{name}.json"
    path.write_text(json.dumps(addrs))
    return subprocess.Popen([sys.executable, __file__, "--serve", str(path), "--delay", str(delay)])


def serve(addr_file: str, delay: float) -> None:
    """Child process: answer 200 on every address (after ``delay`` seconds)."""
    _raise_nofile()
    addrs = json.loads(Path(addr_file).read_text())

    async def handle(reader, writer):
        try:
            await reader.readuntil(b"\r\n\r\n")
            if delay:
                await asyncio.sleep(delay)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nOK\n")
            await writer.drain()
        except (OSError, RuntimeError, asyncio.IncompleteReadError):
            pass   # the client gave up first (its timeout)
        finally:
            try:
                writer.close()
            except RuntimeError:
                pass

    async def main():
        servers = [await asyncio.start_server(handle, a, PORT, backlog=1024) for a in addrs]
        await asyncio.gather(*(s.serve_forever() for s in servers))

    loop = new_event_loop()
    loop.run_until_complete(main())


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def wait_listening(address: str, seconds: float = 20.0) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection((address, PORT), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"no server came up on {address}:{PORT}")


# --------------------------------------------------------------------------- sustained run

class TallyPublisher(Emitter):
    """Encodes every results event like the HTTP emitter would, then tallies verdicts."""

    def __init__(self, expected: dict[str, tuple[bool, str]]):
        super().__init__("//bench")
        self.expected = expected
        self.right = self.wrong = self.bytes = 0
        self.samples: list[str] = []

    def deliver(self, event: Event) -> None:
        self.bytes += len(body_of(event))
        for r in event.data["results"]:
            if (r["ok"], r["reason"]) == self.expected[r["member_id"]]:
                self.right += 1
            else:
                self.wrong += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{r['member_id']}: {r['ok']} {r['reason']}")


def warm_service(settings: Settings, bus: Emitter) -> CheckerService:
    """The checker as a warm instance runs it (its garbage collector tuned)."""
    service = CheckerService(settings, ConductorClient(InProcessTransport(lambda e: (200, {"result": {}}))),
                             bus, load_checks(settings), checker_id="bench")
    gc_tuning.tune()
    return service


def window_batch(checks: list[dict], seconds: float) -> CheckBatch:
    """One batch of ``checks`` whose window opens in a second and lasts ``seconds``."""
    start = datetime.now(timezone.utc) + timedelta(seconds=1)
    return CheckBatch(region="bench", batch_id="bench/0", window_start=start,
                      deadline=start + timedelta(seconds=seconds), checks=checks)


def sustained(n: int, seconds: float, ca_pem: str | None = None) -> None:
    groups = endpoints(n)
    expected = {}
    checks = []
    verdict = {"healthy": (True, "HTTP 200"), "slow": (False, f"timeout after {TIMEOUT}s"),
               "closed": (False, "connection refused")}
    for kind, addrs in groups.items():
        for a in addrs:
            member = f"{kind}-{a}"
            expected[member] = verdict[kind]
            monitor = {"id": "mon", "type": "HTTP", "delay": 1, "timeout": TIMEOUT,
                       "max_retries": 3, "max_retries_down": 3}
            if ca_pem:  # verified against the CA, for the name sent as Host and SNI
                monitor.update(type="HTTPS", ca_cert=ca_pem, headers={"Host": "bench.test"})
            checks.append({"member_id": member, "pool_id": "p", "project_id": "bench", "address": a,
                           "port": PORT, "monitor": monitor})
    settings = Settings(allow_loopback=True, max_concurrency=CONCURRENCY, batch_size=n)
    bus = TallyPublisher(expected)
    service, batch = warm_service(settings, bus), window_batch(checks, seconds)
    start = batch.window_start
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(asyncio.sleep(max(0.0, (start - datetime.now(timezone.utc)).total_seconds() - 0.05)))
        c0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        stats = runner.run(service.run_batch(batch))
        c1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    total = bus.right + bus.wrong
    print(f"{'HTTPS' if ca_pem else 'HTTP'} N={n} (healthy {len(groups['healthy'])}, slow {len(groups['slow'])}, closed "
          f"{len(groups['closed'])}), every endpoint every 1 s, timeout {TIMEOUT}s, window {seconds:g}s")
    print(f"  checks/s sustained      {total / seconds:8.0f}   ({total} checks, {stats.dropped} slots dropped,"
          f" {stats.inconclusive} without verdict (overload), {stats.events} results events, {bus.bytes / 1e6:.1f} MB JSON, wall {t1 - t0:.1f}s)")
    print(f"  CPU s per 1,000 checks  {cpu / max(total, 1) * 1000:8.3f}   (user {c1.ru_utime - c0.ru_utime:.2f}s,"
          f" sys {c1.ru_stime - c0.ru_stime:.2f}s)")
    print(f"  peak RSS                {c1.ru_maxrss / 1024:8.1f} MiB (before the batch {rss0 / 1024:.1f} MiB)")
    print(f"  verdicts right          {bus.right:8d} / {total}" + (f"   WRONG e.g. {bus.samples}" if bus.wrong else ""))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", default="1000,5000")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--compare", action="store_true", help="compare probe engines first")
    p.add_argument("--https", action="store_true", help="HTTPS (verified TLS) instead of HTTP")
    p.add_argument("--serve", help=argparse.SUPPRESS)
    p.add_argument("--delay", type=float, default=0.0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(args.serve, args.delay)
        sys.exit(0)
    _raise_nofile()
    sizes = [int(x) for x in args.n.split(",")]
    groups = endpoints(max(sizes))
    procs = []
    with tempfile.TemporaryDirectory(prefix="kosmos-bench-") as tmp:
        work = Path(tmp)
        try:
            ca_pem = make_tls(work) if args.https else None
            nginx = start_nginx(groups["healthy"], work, tls=args.https)
            if args.https and not nginx:
                raise SystemExit("--https needs nginx")
            server = "nginx, 1 worker" if nginx else "asyncio server (nginx not installed)"
            procs.append(nginx or start_python_server(groups["healthy"], 0.0, work, "healthy"))
            procs.append(start_python_server(groups["slow"], 2 * TIMEOUT, work, "slow"))
            wait_listening(groups["healthy"][-1])
            wait_listening(groups["slow"][-1])
            print(f"servers: {server} for healthy endpoints; asyncio server answering after "
                  f"{2 * TIMEOUT:g}s for slow ones. 2 shared cores: figures are noisy.")
            if args.compare:
                from checker_engines import compare  # noqa: E402
                compare(groups["healthy"], PORT)
            for n in sizes:
                sustained(n, args.seconds, ca_pem)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(10)
