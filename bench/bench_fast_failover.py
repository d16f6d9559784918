"""Fast failover at an ordinary interval: recheck on suspicion on, then off, in one run.

Through ``local/runner.py`` (three regions, tick 1 s, a temporary SQLite
database, the embedded DNS server): ten GSLBs, each with its own monitor (TCP,
delay 10 s, timeout 2 s, max_retries_down 3, rise 2) and pool of two members,
127.0.0.2:p_i (the one that dies) and 127.0.0.3:p_i. Once all are served, the
ten 127.0.0.2 endpoints die at random instants over 20 s; for each, the time
from its death to the runner's DNS server no longer answering its address.
Prints p50/p99/max against the GSLBs' stated ``failover_time.worst_case_s``
(never to be exceeded), with the feature on and then off (``KOSMOS_RECHECK=
false``), and the probes per second the checkers ran in steady state before
the deaths (from ``kosmos_probes_total`` in ``GET /metrics``), which recheck
must not raise.

    python bench/bench_fast_failover.py [--deaths 10]
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from kosmos_local.harness import ADDRESSES, Api, Endpoint, RunnerProcess, common_free_port, dns_answer

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ["RegionOne", "RegionTwo", "RegionThree"]
DELAY, TIMEOUT, FALL, RISE = 10, 2, 3, 2


def p(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def probes_total(url: str) -> float:
    text = requests.get(url + "/metrics", timeout=10).text
    return sum(float(m.group(1)) for m in re.finditer(r"^kosmos_probes_total\{[^}]*\} (\S+)$",
                                                     text, re.M))


def run(deaths: int, recheck: bool, tmp: Path) -> tuple[list[float], float, float]:
    victim, backup = ADDRESSES[0], ADDRESSES[1]
    ports = [common_free_port([victim, backup]) for _ in range(deaths)]
    dying = [Endpoint(victim, port).start() for port in ports]
    spare = [Endpoint(backup, port).start() for port in ports]
    runner = RunnerProcess(ROOT, tmp, f"sqlite:///{tmp}/bench.sqlite3", regions=REGIONS,
                           extra=["--log-level", "WARNING"],
                           env={"KOSMOS_RECHECK": "true" if recheck else "false"}).start()
    try:
        api = Api(runner.url)
        names = []
        for i, port in enumerate(ports):
            mon = api.post("/v1/monitors", {"type": "TCP", "delay": DELAY, "timeout": TIMEOUT,
                                            "max_retries": RISE, "max_retries_down": FALL})
            pool = api.post("/v1/pools", {"monitor_ids": [mon["id"]]})
            for a in (victim, backup):
                api.post(f"/v1/pools/{pool['id']}/pool_members", {"address": a, "port": port})
            fqdn = f"f{i}.example.com."
            g = api.post("/v1/gslbs", {"fqdn": fqdn, "zone_name": "example.com.", "ttl": 5,
                                       "pools": [{"pool_id": pool["id"], "priority": 1}]})
            names.append((fqdn, g["id"]))
        end = time.monotonic() + 90
        while time.monotonic() < end:
            if all(dns_answer(f, runner.dns_port) == {victim, backup} for f, _ in names):
                break
            time.sleep(0.5)
        stated = max(api.get(f"/v1/gslbs/{gid}")["failover_time"]["worst_case_s"]
                     for _, gid in names)
        time.sleep(12)   # let the metrics of a whole delay be flushed
        before, t0 = probes_total(runner.url), time.monotonic()
        time.sleep(25)
        rate = (probes_total(runner.url) - before) / (time.monotonic() - t0)

        took: list[float] = [float("nan")] * deaths

        def watch(i: int, at: float) -> None:
            time.sleep(at)
            died = time.monotonic()
            dying[i].stop()
            fqdn = names[i][0]
            while time.monotonic() - died < 90:
                if dns_answer(fqdn, runner.dns_port, timeout=0.5) == {backup}:
                    took[i] = time.monotonic() - died
                    return
                time.sleep(0.05)
        threads = [threading.Thread(target=watch, args=(i, random.uniform(0, 20)))
                   for i in range(deaths)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return took, stated, rate
    finally:
        runner.stop()
        for e in dying + spare:
            e.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deaths", type=int, default=10)
    args = ap.parse_args()
    for recheck in (True, False):
        with tempfile.TemporaryDirectory() as tmp:
            took, stated, rate = run(args.deaths, recheck, Path(tmp))
        seen = [x for x in took if x == x]
        over = sum(1 for x in seen if x > stated)
        print(f"recheck {'on ' if recheck else 'off'}: death -> answer changed p50 {p(seen, 0.5):.1f}s "
              f"p99 {p(seen, 0.99):.1f}s max {max(seen) if seen else float('nan'):.1f}s over "
              f"{len(seen)} of {len(took)} deaths; stated worst case {stated:.1f}s, exceeded "
              f"{over} times; steady state {rate:.1f} probes/s "
              f"(delay {DELAY}s, max_retries_down {FALL}, {len(REGIONS)} regions)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
