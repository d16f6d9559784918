"""The checker's CPU per check beside HAProxy's own health checks, on the same endpoints.

N endpoints on distinct loopback addresses, one port: 85 % answer 200 (nginx,
one worker), 5 % answer 503 (the same nginx), 5 % answer only after 5 s (an
asyncio server), 5 % refuse the connection. Every endpoint is checked once per
second with a 1 s timeout and one new TCP connection per check, first by the
Kosmos checker (``CheckerService.run_batch``, the production path, results
encoded as events), then by HAProxy (``option httpchk``, ``inter 1s``,
``timeout check 1s``, one thread). For each it prints the checks completed per
second and the CPU seconds its process spent per 1,000 checks, and the ratio.

Checks completed: the Kosmos checker counts its own; HAProxy's are the
requests nginx served during the window (its stub_status counter) scaled by the
share of endpoints nginx serves (90 %), which is also printed for Kosmos so the
two counts can be compared. Needs Debian's ``haproxy`` and ``nginx`` (``apt-get
install haproxy nginx-light``); without them it says so and stops.

    python bench/bench_checker_vs_haproxy.py [--n 1000,5000] [--seconds 20]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_checker import (PORT, TallyPublisher, _raise_nofile, run_nginx,  # noqa: E402
                           start_python_server, wait_listening, warm_service, window_batch)

from kosmos.checker.service import new_event_loop  # noqa: E402
from kosmos.config import Settings  # noqa: E402

TIMEOUT = 1.0
SLOW_S = 5.0
STATUS = ("127.0.0.1", 18081)
SHARES = (("healthy", 0.85, 1), ("error", 0.05, 4), ("slow", 0.05, 2), ("closed", 0.05, 3))
#: the share of endpoints nginx answers (200 and 503): its request counter counts their checks
NGINX_SHARE = 0.90


def addr(block: int, i: int) -> str:
    return f"127.{block}.{i // 250}.{i % 250 + 1}"


def endpoints(n: int) -> dict[str, list[str]]:
    out = {kind: [addr(block, i) for i in range(round(n * share))]
           for kind, share, block in SHARES}
    out["healthy"] += [addr(5, i) for i in range(n - sum(map(len, out.values())))]
    return out


def tool(name: str) -> str | None:
    return shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)


def start_nginx(groups: dict[str, list[str]], work: Path) -> subprocess.Popen:
    def listens(kind: str) -> str:
        return "\n".join(f"    listen {a}:{PORT};" for a in groups[kind])
    return run_nginx(work, f"""  server {{
{listens("healthy")}
    location / {{ return 200 "OK\\n"; }}
  }}
  server {{
{listens("error")}
    location / {{ return 503 "busy\\n"; }}
  }}
  server {{
    listen {STATUS[0]}:{STATUS[1]};
    location / {{ stub_status; }}
  }}""")


def nginx_requests() -> int:
    """Requests nginx has served so far (its status reads included)."""
    text = urllib.request.urlopen(f"http://{STATUS[0]}:{STATUS[1]}/", timeout=5).read().decode()
    return int(re.search(r"^\s*\d+\s+\d+\s+(\d+)\s*$", text, re.M).group(1))


def proc_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds (user, system) the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


# --------------------------------------------------------------------------- Kosmos

def kosmos(groups: dict[str, list[str]], seconds: float) -> dict[str, float]:
    expected, checks = {}, []
    ok = {"healthy": True, "error": False, "slow": False, "closed": False}
    for kind, addrs in groups.items():
        for a in addrs:
            member = f"{kind}-{a}"
            expected[member] = ok[kind]
            checks.append({"member_id": member, "pool_id": "p", "project_id": "bench",
                           "address": a, "port": PORT,
                           "monitor": {"id": "mon", "type": "HTTP", "delay": 1, "timeout": TIMEOUT,
                                       "max_retries": 3, "max_retries_down": 3}})
    n = len(checks)
    settings = Settings(allow_loopback=True, batch_size=n)
    bus = OkTally(expected)
    service, batch = warm_service(settings, bus), window_batch(checks, seconds)
    start = batch.window_start
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(asyncio.sleep(max(0.0, (start - datetime.now(timezone.utc)).total_seconds() - 0.05)))
        served0, c0 = nginx_requests(), resource.getrusage(resource.RUSAGE_SELF)
        stats = runner.run(service.run_batch(batch))
        c1, served1 = resource.getrusage(resource.RUSAGE_SELF), nginx_requests()
    user, system = c1.ru_utime - c0.ru_utime, c1.ru_stime - c0.ru_stime
    done = bus.right + bus.wrong
    # rates per second of the window (the batch also waits out its last probes' timeouts)
    return {"checks": done, "wall": seconds, "cpu": user + system, "user": user, "sys": system,
            "by_nginx": (served1 - served0 - 1) / NGINX_SHARE,
            "wrong": bus.wrong, "dropped": stats.dropped, "inconclusive": stats.inconclusive,
            "rss": c1.ru_maxrss / 1024}


class OkTally(TallyPublisher):
    """Counts every verdict; right when up/down is what the endpoint is."""

    def deliver(self, event) -> None:   # noqa: ANN001
        for r in event.data["results"]:
            if r["ok"] == self.expected[r["member_id"]]:
                self.right += 1
            else:
                self.wrong += 1


# --------------------------------------------------------------------------- HAProxy

def haproxy(groups: dict[str, list[str]], seconds: float, work: Path) -> dict[str, float]:
    servers = "\n".join(f"  server s{i} {a}:{PORT}" for i, a in
                        enumerate(a for addrs in groups.values() for a in addrs))
    cfg = work / "haproxy.cfg"
    cfg.write_text(f"""
global
  nbthread 1
  maxconn 4000
defaults
  mode http
  timeout connect {TIMEOUT:g}s
  timeout check {TIMEOUT:g}s
  timeout client 5s
  timeout server 5s
frontend unused
  bind 127.0.0.1:18082
  default_backend endpoints
backend endpoints
  option httpchk GET /
  default-server check inter 1s fall 3 rise 2
{servers}
""")
    proc = subprocess.Popen([tool("haproxy"), "-db", "-f", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3.0)   # its first round spreads over one interval; then steady
        if proc.poll() is not None:
            raise SystemExit("haproxy exited: see its configuration")
        served0, cpu0 = nginx_requests(), proc_cpu(proc.pid)
        time.sleep(seconds)
        served1, cpu1 = nginx_requests(), proc_cpu(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    done = (served1 - served0 - 1) / NGINX_SHARE
    user, system = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    return {"checks": done, "wall": seconds, "cpu": user + system, "user": user, "sys": system,
            "by_nginx": done}


def report(name: str, r: dict[str, float], n: int) -> float:
    per_k = r["cpu"] / max(r["checks"], 1) * 1000
    extra = ""
    if "wrong" in r:
        extra = (f", {int(r['wrong'])} wrong verdicts, {int(r['dropped'])} slots dropped, "
                 f"{int(r['inconclusive'])} without verdict, peak RSS {r['rss']:.0f} MiB")
    print(f"  {name:8s} {r['checks'] / r['wall']:7.0f} checks/s (of {n}/s due; nginx saw "
          f"{r['by_nginx'] / r['wall']:.0f}/s)  CPU {per_k:.3f} s per 1,000 checks (user "
          f"{r['user'] / max(r['checks'], 1) * 1000:.3f}, system "
          f"{r['sys'] / max(r['checks'], 1) * 1000:.3f}){extra}")
    return per_k


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", default="1000,5000")
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args()
    missing = [t for t in ("haproxy", "nginx") if not tool(t)]
    if missing:
        raise SystemExit(f"needs {' and '.join(missing)} (Debian: apt-get install haproxy nginx-light)")
    _raise_nofile()
    sizes = [int(x) for x in args.n.split(",")]
    groups = endpoints(max(sizes))
    with tempfile.TemporaryDirectory(prefix="kosmos-bench-") as tmp:
        work = Path(tmp)
        procs = [start_nginx(groups, work),
                 start_python_server(groups["slow"], SLOW_S, work, "slow")]
        try:
            for a in (groups["healthy"][-1], groups["error"][-1], groups["slow"][-1]):
                wait_listening(a)
            print("endpoints: 85 % 200 and 5 % 503 (nginx, 1 worker), 5 % after 5 s (asyncio), "
                  "5 % refused; every endpoint every 1 s, timeout 1 s, a new connection per check; "
                  "2 shared cores: compare the ratio within one run")
            for n in sizes:
                sub = endpoints(n)
                print(f"N={n}, {args.seconds:g} s window each")
                ours = report("kosmos", kosmos(sub, args.seconds), n)
                theirs = report("haproxy", haproxy(sub, args.seconds, work), n)
                print(f"  kosmos / haproxy CPU per check: {ours / theirs:.2f}x")
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(10)


if __name__ == "__main__":
    main()
