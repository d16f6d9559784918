"""Failover time through the local runner: endpoint death → DNS answer changed.

Starts ``local/runner.py`` as a subprocess (two regions, tick 1 s, a temporary
SQLite database), serves three HTTP endpoints on 127.0.0.2-4, creates a
monitor (delay 1 s, max_retries_down 2), a pool and a GSLB through the REST
API, then repeatedly stops one endpoint and times until the embedded DNS
server stops answering its address, and restarts it and times its return.
Prints every run and the median. Figures are wall-clock on a shared machine:
expect noise of a few hundred milliseconds.

    python bench/bench_failover.py [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kosmos_local.harness import (ADDRESSES, DELAY, DOWN, Endpoint, RunnerProcess,
                                  common_free_port, deploy)

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = common_free_port(ADDRESSES)
        eps = {a: Endpoint(a, port).start() for a in ADDRESSES}
        runner = RunnerProcess(ROOT, Path(tmp), f"sqlite:///{tmp}/bench.sqlite3").start()
        try:
            d = deploy(runner, port)
            d.wait_all_online(timeout=30)
            victim = ADDRESSES[1]
            down_times, up_times = [], []
            for i in range(args.runs):
                time.sleep(0.5 + 0.37 * i)  # spread deaths over the tick phase
                t0 = time.monotonic()
                eps[victim].stop()
                d.wait_answer(set(ADDRESSES) - {victim}, timeout=30)
                down_times.append(time.monotonic() - t0)
                t0 = time.monotonic()
                eps[victim].start()
                d.wait_answer(set(ADDRESSES), timeout=30)
                up_times.append(time.monotonic() - t0)
                d.wait_all_online(timeout=30)
                print(f"run {i + 1}: failover {down_times[-1]:.2f}s, recovery {up_times[-1]:.2f}s",
                      flush=True)
        finally:
            code = runner.stop()
            for e in eps.values():
                e.stop()
    print(f"failover (delay {DELAY}s, max_retries_down {DOWN}, bound {DELAY * DOWN + 1}s): "
          f"median {statistics.median(down_times):.2f}s, max {max(down_times):.2f}s "
          f"over {len(down_times)} runs")
    print(f"recovery (max_retries {DOWN}): median {statistics.median(up_times):.2f}s")
    print(f"runner exit code after SIGTERM: {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
