"""Scale through the runner: N GSLBs on PostgreSQL with a real PowerDNS, three regions.

Starts ``local/runner.py`` (its defaults: tick 1 s, reconcile every 300 s, checkers at
nice 10) on a fresh PostgreSQL database with the ``powerdns`` appliance on a real
``pdns_server``, and three endpoints on 127.0.0.2-4 (nginx, one worker each; a
Python process each when nginx is not installed). Then, per N:

- creates N GSLBs through the API (8 clients), each with its own monitor (HTTP,
  delay 10 s, fall 3), pool and 2-3 members on those endpoints, and times until
  PowerDNS serves every name its members' addresses, then until every member is
  ONLINE (its checks applied: a member without a verdict is served meanwhile).
  ``--create conductor``
  makes the same rows through the conductor's operations in this process (same
  validation, same change notices, no HTTP): at 10,000 the API path alone takes
  about a quarter of an hour on this machine. ``--probes shared`` (the default) gives
  every monitor the same settings (GET /), so the checks of one endpoint are one probe
  (``kosmos.probes.identity``): one probe per endpoint and instant serves thousands of
  names. ``--probes own`` gives each monitor a path of its own (GET /n<i>, which the
  endpoints answer alike), so no two checks share a probe, as where every name has
  endpoints of its own;
- a reconcile of every name, run by an engine in this process on the same
  database and PowerDNS (one invocation, no shards); then as the cron's run does
  it, in shards one after another, twice each way: sharing the run's zone
  listings and with each shard listing the zone itself;
- for 30 s of steady state: the engine lane's lag (the oldest waiting result,
  from ``/_runner/queue``) sampled twice a second, and the lag the engine records
  (``engine_lag`` in a GSLB's status);
- one endpoint, used by about two thirds of the names, dies: the time until
  PowerDNS stops serving it for every one of them, against the target
  delay x max_retries_down + 2 s. What PowerDNS serves is read with a zone transfer
  about twice a second (``kosmos_local.harness.zone_addresses``): a query per name, at
  10,000 names, took PowerDNS and this process half a core of the two measured;
- once every region has confirmed that death (delay x max_retries_down + 5 s after
  it), API requests at 100 per second (GET a GSLB, POST a monitor), p50/p99 by
  method and by phase (nothing failing, then the failover below), and meanwhile the
  engine lane's lag again and a second endpoint's death (the names it leaves with a
  live member);
- in each failover, how often the engine read the state again after a compare-and-set
  miss (``kosmos_engine_rereads_total``: engine instances racing on the same rows), and
  its pushes to the appliance and their time (``kosmos_publish_seconds``: one per zone
  and cycle, so a failover's answers pushed twice show as twice the pushes);
- the RSS of each function process.

A server running without autovacuum (CI's setting) gets what autovacuum would do:
``VACUUM ANALYZE`` every minute while the benchmark runs (it says so).

    python bench/bench_scale.py [--n 1000] [--db postgresql+pg8000://postgres@127.0.0.1:5432/postgres]
                                [--create api|conductor|reuse] [--probes shared|own]
                                [--keep DIR] [--checker-nice N]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import urllib3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))   # the real PowerDNS server the tests start

from bench_api import fresh_database  # noqa: E402
from bench_checker import run_nginx  # noqa: E402
from bench_reconcile import reconcile_in_shards  # noqa: E402
from fixtures.powerdns import API_KEY, PowerDns  # noqa: E402

from kosmos_local.harness import (ADDRESSES, Api, RunnerProcess,  # noqa: E402
                                  common_free_port, dns_answers, wait_for,
                                  zone_addresses)

ZONE = "example.com."
REGIONS = ["RegionOne", "RegionTwo", "RegionThree"]
DELAY, TIMEOUT, RISE, FALL = 10, 2, 2, 3


def p(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def url_path(i: int, probes: str) -> str:
    """What GSLB ``i``'s monitor asks its endpoints for (``--probes``)."""
    return "/" if probes == "shared" else f"/n{i}"


def create(post, i: int, port: int, probes: str) -> tuple[str, set[str], str]:
    """GSLB ``i`` with its own monitor, pool and members; ``post(path, body)`` makes one."""
    mon = post("/v1/monitors", {"name": f"m{i}", "type": "HTTP", "delay": DELAY,
                                "url_path": url_path(i, probes), "timeout": TIMEOUT,
                                "max_retries": RISE, "max_retries_down": FALL})["id"]
    pool = post("/v1/pools", {"name": f"p{i}", "monitor_ids": [mon]})["id"]
    addresses = addresses_of(i)
    for a in sorted(addresses):
        post(f"/v1/pools/{pool}/pool_members", {"address": a, "port": port})
    fqdn = f"n{i}.scale.{ZONE}"
    g = post("/v1/gslbs", {"name": fqdn, "fqdn": fqdn, "zone_name": ZONE, "ttl": 30,
                           "appliance": "powerdns", "all_down": "ALL",
                           "pools": [{"pool_id": pool, "priority": 1}]})
    return fqdn, addresses, g["id"]


class DirectCreate:
    """``post`` for :func:`create` through the conductor's operations in this process, as
    the API would call them (the project's member role, the same values)."""

    def __init__(self, db: str):
        from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
        from kosmos.conductor.app import build_handler
        from kosmos.config import Settings
        from kosmos.contracts.conductor import CallContext

        self.handler = build_handler(db, settings=Settings(regions=REGIONS, log_level="WARNING"),
                                     auto_migrate=True)
        self.client = ConductorClient(InProcessTransport(self.handler))
        self.ctx = CallContext(project_id="e2e-project", roles=["member"])

    def __call__(self, path: str, body: dict) -> dict:
        if path.endswith("/pool_members"):
            kind, body = "member", {**body, "pool_id": path.split("/")[3]}
        else:
            kind = {"/v1/monitors": "monitor", "/v1/pools": "pool", "/v1/gslbs": "gslb"}[path]
        return self.client.call(f"{kind}.create", {"values": body}, self.ctx)


def addresses_of(i: int) -> set[str]:
    """The endpoints GSLB ``i``'s members are on."""
    addresses = {ADDRESSES[i % 3], ADDRESSES[(i + 1) % 3]}
    if i % 2:
        addresses.add(ADDRESSES[(i + 2) % 3])
    return addresses


def reused(db: str, n: int, probes: str) -> tuple[list[tuple[str, set[str], str]], int] | None:
    """The GSLBs an earlier run with the same N and ``--probes`` left in ``db`` and their
    endpoints' port; None when it holds another number of them or other monitors."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, fqdn FROM gslbs")).all()
            port = conn.execute(text("SELECT port FROM pool_members LIMIT 1")).scalar()
            monitor = conn.execute(text(
                "SELECT type, url_path FROM monitors WHERE name = 'm1'")).first()
    except Exception:   # noqa: BLE001 - no such database or tables: make them
        return None
    finally:
        engine.dispose()
    if len(rows) != n or port is None or tuple(monitor or ()) != ("HTTP", url_path(1, probes)):
        return None
    return [(fqdn, addresses_of(int(fqdn.split(".")[0][1:])), gid) for gid, fqdn in rows], port


def served(names: list[str], dns_port: int) -> dict[str, set[str] | None]:
    """What PowerDNS serves for each of ``names``: one zone transfer, and a query for a
    name it does not hold (None when unanswered)."""
    zone = zone_addresses(ZONE, dns_port)
    missing = [n for n in names if n not in zone]
    asked = dns_answers(missing, dns_port) if missing else {}
    return {n: zone[n] if n in zone else asked[n] for n in names}


def sweep(names: dict[str, set[str]], dns_port: int) -> list[str]:
    """Names whose served answer is not the expected one."""
    got = served(list(names), dns_port)
    return [n for n, want in names.items() if got[n] != want]


class EndpointProcess:
    """A test endpoint (``kosmos_local.harness.Endpoint``) in a process of its own; ``stop``
    kills it, so it refuses connections. At 10,000 GSLBs the checkers connect 7,500
    times a second: served in this process, that took two thirds of a core from the
    same interpreter that times the reconcile and sends the API load."""

    def __init__(self, address: str, port: int):
        code = ("import sys; from kosmos_local.harness import Endpoint; "
                "Endpoint(sys.argv[1], int(sys.argv[2])).start(); print('ready', flush=True); "
                "sys.stdin.read()")   # until this process closes its end (or dies)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, address, str(port)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                p for p in sys.path if p)})
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"endpoint {address}:{port} did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _accepts(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), timeout=1).close()
        return True
    except OSError:
        return False


class NginxEndpoint:
    """The endpoint as nginx (one worker) serves it: what users put behind a GSLB. At
    10,000 GSLBs the three took 0.03-0.05 of a core, where three ``EndpointProcess``
    (a thread per connection) took most of one from the functions measured. ``stop``
    shuts it down, so it refuses connections."""

    def __init__(self, proc: subprocess.Popen, address: str, port: int):
        self.proc = proc
        try:
            wait_for(lambda: proc.poll() is not None or _accepts(address, port), 10)
        except TimeoutError:
            pass
        if proc.poll() is not None or not _accepts(address, port):
            raise RuntimeError(f"nginx on {address}:{port} did not start")

    def stop(self) -> None:
        """A fast shutdown (SIGTERM): the master stops its worker too (SIGKILL would
        leave the worker serving)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


def start_endpoints(port: int, workdir: Path) -> dict:
    """An endpoint on each of ``ADDRESSES``: nginx when installed, else ``EndpointProcess``."""
    eps: dict = {}
    for a in ADDRESSES:
        folder = workdir / f"nginx-{a}"
        folder.mkdir(exist_ok=True)
        proc = run_nginx(folder, f'''  server {{
    listen {a}:{port};
    location / {{ return 200 "OK\\n"; }}
  }}''')
        eps[a] = NginxEndpoint(proc, a, port) if proc is not None else EndpointProcess(a, port)
    nginx = all(isinstance(e, NginxEndpoint) for e in eps.values())
    print("endpoints: " + ("nginx" if nginx else
                           "Python (nginx is not installed; they take CPU from the functions)"),
          flush=True)
    return eps


def not_online(db: str) -> int:
    """Members without an ONLINE status (the engine has not yet applied their checks)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM pool_members WHERE operating_status <> 'ONLINE'")).scalar())
    finally:
        engine.dispose()


def wait_online(db: str, since: float, limit: float = 900) -> str:
    """Wait until every member is ONLINE (served names are not yet checked ones: a
    member without a verdict is served as healthy); what it took."""
    left = not_online(db)
    while left and time.monotonic() - since < limit:
        time.sleep(5)
        left = not_online(db)
    took = time.monotonic() - since
    return f"every member ONLINE after {took:.1f}s" if not left else \
        f"{left} members not ONLINE after {took:.1f}s"


class Load:
    """API requests at ``rate`` per second until stopped; latencies by method. Sent through
    a urllib3 pool (not ``requests``, whose own CPU per call took a fifth of a core here:
    the clients of a real deployment do not share its machine)."""

    HEADERS = {"X-Project-Id": "e2e-project", "X-Roles": "member",
               "Content-Type": "application/json"}

    def __init__(self, url: str, gslb_ids: list[str], rate: float = 100.0):
        self.url, self.ids, self.rate = url, gslb_ids, rate
        self.lat: dict[str, list[float]] = {"GET": [], "POST": []}
        # the same latencies by phase (``mark``): steady state apart from a failover
        self.phase = "nothing failing"
        self.by_phase: dict[str, list[float]] = {}
        self.errors = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.pool = urllib3.PoolManager(maxsize=16, retries=False,
                                        timeout=urllib3.Timeout(connect=10, read=10))

    def one(self, n: int) -> None:
        t0 = time.monotonic()
        try:
            if n % 2:
                method, want = "GET", 200
                r = self.pool.request("GET", f"{self.url}/v1/gslbs/{random.choice(self.ids)}",
                                      headers=self.HEADERS)
            else:
                method, want = "POST", 201
                body = json.dumps({"name": f"load{n}", "type": "HTTP", "delay": DELAY,
                                   "timeout": TIMEOUT})
                r = self.pool.request("POST", f"{self.url}/v1/monitors", body=body,
                                      headers=self.HEADERS)
        except urllib3.exceptions.HTTPError:
            self.errors += 1
            return
        if r.status != want:
            self.errors += 1
            return
        took = (time.monotonic() - t0) * 1000
        self.lat[method].append(took)
        self.by_phase.setdefault(self.phase, []).append(took)

    def mark(self, phase: str) -> None:
        """Requests sent from now on are counted under ``phase`` too."""
        self.phase = phase

    def run(self) -> None:
        with ThreadPoolExecutor(16) as pool:
            start, n = time.monotonic(), 0
            while not self.stop.is_set():
                n += 1
                pool.submit(self.one, n)
                time.sleep(max(0.0, start + n / self.rate - time.monotonic()))

    def report(self) -> str:
        return (", ".join(f"{m} p50 {p(v, 0.5):.0f} ms p99 {p(v, 0.99):.0f} ms ({len(v)})"
                          for m, v in self.lat.items()) + f", {self.errors} failed; both "
                + ", ".join(f"{ph}: p50 {p(v, 0.5):.0f} ms p99 {p(v, 0.99):.0f} ms"
                            for ph, v in self.by_phase.items()))


def _under(root_pid: int) -> dict[int, str]:
    """Every process under the runner (and the runner) → its function name."""
    parent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parent[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    out: dict[int, str] = {}
    for pid in parent:
        up = pid
        while up in parent and up != root_pid:
            up = parent[up]
        if up != root_pid:
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
        except OSError:
            continue
        out[pid] = (argv[argv.index("--name") + 1] if "--name" in argv else
                    "runner" if pid == root_pid else Path(argv[0]).name)
    return out


def cpu_by_function(root_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the runner's processes (by function) and PostgreSQL."""
    tick = os.sysconf("SC_CLK_TCK")
    names = _under(root_pid)
    out: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        pid = int(stat.parent.name)
        try:
            head, rest = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        name = names.get(pid) or ("postgres" if head.endswith("(postgres") else
                                  "pdns_server" if "pdns" in head else None)
        if name is None:
            continue
        f = rest.split()
        out[name] = out.get(name, 0.0) + (int(f[11]) + int(f[12])) / tick
    return out


def cpu_report(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    """Each function's share of one core over the phase (1.00 = a whole core)."""
    used = {k: (after.get(k, 0.0) - before.get(k, 0.0)) / seconds for k in after}
    return ", ".join(f"{k} {v:.2f}" for k, v in sorted(used.items(), key=lambda kv: -kv[1])
                     if v >= 0.01)


def rss_by_function(root_pid: int) -> dict[str, int]:
    """RSS (MiB) of every process under the runner, by its function name."""
    out: dict[str, int] = {}
    for pid, name in _under(root_pid).items():
        if pid == root_pid:
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        out[name] = kb // 1024
    return out


class Maintenance:
    """What a production PostgreSQL's autovacuum does, when this server runs without it
    (CI's servers turn it off): ``VACUUM ANALYZE`` of the database every ``every``
    seconds (autovacuum's own pace), so dead rows of the health table, rewritten
    hundreds of times a second, do not pile up and the planner has statistics.

    At autovacuum's cost limits, too (``autovacuum_vacuum_cost_delay``, 2 ms by
    default): a manual VACUUM runs unthrottled, and its bursts of reads and writes
    every minute slowed the API's calls running beside it, as autovacuum does not."""

    def __init__(self, db: str, every: float = 60.0):
        from sqlalchemy import create_engine, text

        self.engine = create_engine(db, isolation_level="AUTOCOMMIT")
        with self.engine.connect() as cx:
            self.needed = cx.execute(text("SHOW autovacuum")).scalar_one() == "off"
        self.every, self.text = every, text
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Maintenance":
        if self.needed:
            print("the server's autovacuum is off: this benchmark runs VACUUM ANALYZE every "
                  f"{self.every:.0f}s, as autovacuum would", flush=True)
            self.vacuum()
            self.thread.start()
        return self

    def vacuum(self) -> None:
        with self.engine.connect() as cx:
            # The server copies its own settings: -1 means the plain vacuum_cost_* one,
            # which a manual VACUUM uses already.
            cx.execute(self.text(
                "SELECT set_config(replace(name, 'autovacuum_', ''), setting, false) FROM pg_settings "
                "WHERE name IN ('autovacuum_vacuum_cost_delay', 'autovacuum_vacuum_cost_limit') "
                "AND setting NOT LIKE '-%'"))
            cx.execute(self.text("VACUUM ANALYZE"))

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                self.vacuum()
            except Exception as exc:   # noqa: BLE001 - the next round tries again
                print(f"VACUUM ANALYZE failed: {exc}", flush=True)

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(120)
        self.engine.dispose()


def _engine(db: str, pdns: PowerDns, **settings: Any) -> Any:
    """An engine in this process on ``db`` and ``pdns`` (its conductor in process too)."""
    from kosmos import bootstrap
    from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
    from kosmos.conductor.app import build_handler
    from kosmos.config import Settings

    s = Settings(appliance="powerdns", powerdns_api_url=pdns.api_url, powerdns_api_key=API_KEY,
                 regions=REGIONS, log_level="WARNING", **settings)
    return bootstrap.engine_service(s, conductor=ConductorClient(InProcessTransport(
        build_handler(db, settings=s))))


def reconcile_in_process(db: str, pdns: PowerDns) -> tuple[float, dict]:
    engine = _engine(db, pdns)
    t0 = time.monotonic()
    out = engine.handle("kosmos.engine.reconcile", {"scope": "all"})
    return time.monotonic() - t0, out


def reconcile_as_shards(db: str, pdns: PowerDns, max_age: float, at: str) -> tuple[float, int]:
    """Seconds to reconcile every name in shards (``bench_reconcile.reconcile_in_shards``)
    and the zone listings they took: sharing them (``reconcile_listing_max_age``) or not (0)."""
    took, outs = reconcile_in_shards(_engine(db, pdns, reconcile_listing_max_age=max_age), at)
    return took, sum(o["zone_listings"] for o in outs)


def counters(url: str) -> dict[str, float]:
    """What the runner's ``/metrics`` says so far, every label summed: the engine's
    compare-and-set misses (``rereads``, every event kind) and its pushes to the
    appliance (``pushes``, one per zone and cycle, and their ``push_s``). Engines add
    theirs every 10 s."""
    text = requests.get(url + "/metrics", timeout=10).text
    names = {"kosmos_engine_rereads_total": "rereads", "kosmos_publish_seconds_count": "pushes",
             "kosmos_publish_seconds_sum": "push_s"}
    out = dict.fromkeys(names.values(), 0.0)
    for line in text.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in names:
            out[names[name]] += float(line.rsplit(" ", 1)[1])
    return out


def engine_work(before: dict[str, float], after: dict[str, float]) -> str:
    """The engine's rereads and pushes between two ``counters``."""
    d = {k: after[k] - before[k] for k in after}
    return (f"{d['rereads']:.0f} reads again after a compare-and-set miss, "
            f"{d['pushes']:.0f} pushes to the appliance taking {d['push_s']:.1f}s")


def lane_lags(url: str, seconds: float) -> list[float]:
    """The engine lane's lag (its oldest waiting result), sampled twice a second."""
    lags: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        lanes = requests.get(url + "/_runner/queue", timeout=5).json().get("lanes", {})
        lags.append(float(lanes.get("engine", {}).get("lag_s", 0.0)))
        time.sleep(0.5)
    return lags


def skipped(log_path: Path) -> str:
    """How often the checkers skipped a tick or a batch that came too late (the runner's
    log): each loses its checks' probes for a whole delay."""
    text = log_path.read_text(errors="replace")
    batches = len(re.findall(r"batch arrived [\d.]+s after its deadline; skipped", text))
    ticks = len(re.findall(r"tick arrived [\d.]+s after its window; skipped", text))
    return f"checkers skipped {batches} late batches and {ticks} late ticks in the whole run"


def failover(n: int, names: dict[str, set[str]], dead: str, eps: dict, dns_port: int,
             while_: str) -> float:
    """Kill ``dead`` and time until no name using it is answered with it; returns when
    it died (``time.monotonic``)."""
    # names left with no other live member fail open (all_down ALL): not a failover to time
    affected = {f: want - {dead} for f, want in names.items() if dead in want and want - {dead}}
    died = time.monotonic()
    eps[dead].stop()
    changed: dict[str, float] = {}
    cpu0 = time.process_time()
    while len(changed) < len(affected) and time.monotonic() - died < 120:
        got = served([f for f in affected if f not in changed], dns_port)
        at = time.monotonic() - died
        changed.update((f, at) for f, now in got.items() if now == affected[f])
        # paced, so the measuring takes a small share of what it measures (printed below)
        time.sleep(0.5)
    measuring = (time.process_time() - cpu0) / max(1e-9, time.monotonic() - died)
    times = list(changed.values())
    outcome = (f"every answer changed after {max(times):.1f}s (p50 {p(times, 0.5):.1f}s"
               if len(times) == len(affected) else
               f"{len(times)} answers changed within 120 s (p50 of those "
               f"{p(times, 0.5) if times else float('nan'):.1f}s), {len(affected) - len(times)} "
               "did not (missed")
    print(f"N={n}: one endpoint of {len(affected)} names died ({while_}): {outcome}; target "
          f"delay x fall + 2 = {DELAY * FALL + 2}s); this process (its DNS queries, and the "
          f"API load if any) used {measuring:.2f} of a core", flush=True)
    for f in affected:   # the names now serve without it
        names[f] = affected[f]
    return died


def run(n: int, db_admin: str, tmp: Path, how: str, probes: str,
        runner_args: list[str]) -> None:
    earlier = None
    kept = urlunsplit(urlsplit(db_admin)._replace(path="/kosmos_bench_scale"))
    if how == "reuse":
        earlier = reused(kept, n, probes)
        if earlier is None:
            print(f"N={n}: no earlier run's {n} GSLBs to reuse; making them through the "
                  "conductor", flush=True)
        how = "conductor"
    db = kept if earlier else fresh_database(db_admin, "kosmos_bench_scale")
    pdns = PowerDns(tmp)
    pdns.start()
    pdns.create_zone(ZONE)
    port = earlier[1] if earlier else common_free_port(ADDRESSES)
    eps = start_endpoints(port, tmp)
    runner = RunnerProcess(ROOT, tmp, db, regions=REGIONS,
                           extra=["--appliance", "powerdns", "--log-level", "WARNING",
                                  *runner_args],
                           env={"KOSMOS_POWERDNS_API_URL": pdns.api_url,
                                "KOSMOS_POWERDNS_API_KEY": API_KEY})
    maintenance: Maintenance | None = None
    try:
        if earlier is not None:
            made, created = earlier[0], 0.0
            runner.start()
            t0, created_note = time.monotonic(), "reused from an earlier run; "
        elif how == "conductor":
            # before the runner starts: the creating and the runner would share the cores
            post = DirectCreate(db)
            t0 = time.monotonic()
            with ThreadPoolExecutor(4) as pool:
                made = list(pool.map(lambda i: create(post, i, port, probes), range(n)))
            created = time.monotonic() - t0
            post.handler.database.dispose()
            runner.start()
            t0, created_note = time.monotonic(), "before the runner started; "
        else:
            runner.start()
            t0 = time.monotonic()
            with ThreadPoolExecutor(8) as pool:
                made = list(pool.map(lambda i: create(Api(runner.url).post, i, port, probes),
                                     range(n)))
            created = time.monotonic() - t0
            created_note = ""
        maintenance = Maintenance(db).start()
        names = {fqdn: want for fqdn, want, _ in made}
        left = sweep(names, pdns.dns_port)
        while left and time.monotonic() - t0 < 600 + (0 if created_note else created):
            time.sleep(1)
            left = sweep({x: names[x] for x in left}, pdns.dns_port)
        served = time.monotonic() - t0
        made_how = ("" if earlier else f"created in {created:.1f}s through the {how} "
                    f"({n * 4.5 / created:.0f} writes/s); ")
        print(f"N={n}: monitors GET {url_path(1, probes).replace('1', '<i>')} (--probes {probes}); "
              f"{made_how}{created_note}every name served after {served:.1f}s"
              + (f"; {len(left)} never served" if left else ""), flush=True)

        print(f"N={n}: {wait_online(db, t0)} (its checks applied by the engine)", flush=True)

        took, out = reconcile_in_process(db, pdns)
        print(f"N={n}: reconcile of every name {took:.2f}s ({len(out.get('drift', []))} drifted, "
              f"{out.get('zone_listings')} zone listings)", flush=True)
        ways = (("sharing zone listings", 60.0), ("each listing the zone", 0.0))
        for i, (way, age) in enumerate(ways * 2):
            took, listings = reconcile_as_shards(db, pdns, age, f"2026-01-01T00:0{i}:00Z")
            print(f"N={n}: reconcile of every name in shards, {way}: {took:.2f}s "
                  f"({listings} zone listings)", flush=True)

        lags = lane_lags(runner.url, 30)
        recorded = Api(runner.url).get(f"/v1/gslbs/{made[0][2]}/status")["engine_lag"]
        print(f"N={n}: steady state engine lane lag p50 {p(lags, 0.5):.2f}s p99 {p(lags, 0.99):.2f}s; "
              f"recorded by the engine: {({r['region']: r['lag_s'] for r in recorded})}", flush=True)
        c0, t0, r0 = cpu_by_function(runner.proc.pid), time.monotonic(), counters(runner.url)
        died = failover(n, names, ADDRESSES[0], eps, pdns.dns_port, "no API load")
        print(f"N={n}: CPU (cores) during that failover: "
              f"{cpu_report(c0, cpu_by_function(runner.proc.pid), time.monotonic() - t0)}", flush=True)
        # "Nothing failing" starts once every region has confirmed the death (fall probes
        # after it) and the engine has applied that: the answers change sooner.
        time.sleep(max(0.0, died + DELAY * FALL + 5 - time.monotonic()))

        load = Load(runner.url, [g for _, _, g in made])
        load.thread.start()
        c0, t0 = cpu_by_function(runner.proc.pid), time.monotonic()
        lags = lane_lags(runner.url, 30)
        print(f"N={n}: CPU (cores) with the API at 100 req/s, nothing failing: "
              f"{cpu_report(c0, cpu_by_function(runner.proc.pid), time.monotonic() - t0)}", flush=True)
        print(f"N={n}: with the API at 100 req/s: engine lane lag p50 {p(lags, 0.5):.2f}s "
              f"p99 {p(lags, 0.99):.2f}s", flush=True)
        r1 = counters(runner.url)
        print(f"N={n}: engine, in the first failover and the time after: "
              f"{engine_work(r0, r1)}", flush=True)
        c0, t0 = cpu_by_function(runner.proc.pid), time.monotonic()
        load.mark("during the failover")
        failover(n, names, ADDRESSES[1], eps, pdns.dns_port, "API at 100 req/s")
        print(f"N={n}: CPU (cores) during that failover: "
              f"{cpu_report(c0, cpu_by_function(runner.proc.pid), time.monotonic() - t0)}", flush=True)
        load.stop.set()
        load.thread.join(30)
        print(f"N={n}: API at 100 req/s meanwhile: {load.report()}", flush=True)
        time.sleep(11)   # until the engine has added its counts of the failover
        print(f"N={n}: engine, in the second failover: "
              f"{engine_work(r1, counters(runner.url))}", flush=True)
        print(f"N={n}: RSS MiB by process: {rss_by_function(runner.proc.pid)}", flush=True)
        print(f"N={n}: {skipped(runner.log_path)}", flush=True)
    finally:
        runner.stop()
        if maintenance is not None:
            maintenance.close()
        for e in eps.values():
            e.stop()
        pdns.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000])
    ap.add_argument("--db", default="postgresql+pg8000://postgres@127.0.0.1:5432/postgres",
                    help="a PostgreSQL server (a database kosmos_bench_scale is made on it)")
    ap.add_argument("--create", choices=("api", "conductor", "reuse"), default="api",
                    help="make the GSLBs through the API (default) or the conductor's "
                         "operations in this process (no HTTP; for 10,000), or reuse those "
                         "an earlier run with the same N left (as it left them)")
    ap.add_argument("--probes", choices=("shared", "own"), default="shared",
                    help="every monitor with the same settings, so an endpoint's checks are "
                         "one probe (default), or each with a path of its own: no probe shared")
    ap.add_argument("--keep", type=Path, default=None,
                    help="a directory to keep the runner's log and PowerDNS files in (else a "
                         "temporary one, removed at the end)")
    ap.add_argument("--checker-nice", type=int, default=None,
                    help="the runner's --checker-nice (else its default)")
    args = ap.parse_args()
    runner_args = [] if args.checker_nice is None else ["--checker-nice", str(args.checker_nice)]
    for n in args.n:
        if args.keep is not None:
            work = args.keep / f"n{n}"
            work.mkdir(parents=True, exist_ok=True)
            run(n, args.db, work, args.create, args.probes, runner_args)
            print(f"N={n}: runner log kept in {work}", flush=True)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            run(n, args.db, Path(tmp), args.create, args.probes, runner_args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
