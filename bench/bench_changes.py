"""Users' changes to DNS through the local runner, at production's reconcile cadence.

Starts ``local/runner.py`` (three regions, tick 1 s, reconcile every 300 s as
in production, a temporary SQLite database), settles two pools of HTTP
endpoints on 127.0.0.2-4, then times, from the API's reply to the first DNS
query (dnspython, over UDP, as a resolver asks) that shows the change:

- a GSLB created over a settled pool until its name is served;
- a pool swap (PUT) until the other pool's addresses are served;
- a delete until the name is gone (NXDOMAIN);

and how long 60 GSLBs created one after another while the checkers probe
take to be all SYNCED and ONLINE after the last create. Before changes were
announced to the engine, each of these waited for the next reconcile: up to
300 s with production's cadence.

    python bench/bench_changes.py [--runs 10]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kosmos_local.harness import (ADDRESSES, Api, Endpoint, RunnerProcess, common_free_port,
                                  dns_answer, wait_for)

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ["RegionOne", "RegionTwo", "RegionThree"]


def _pool(api: Api, mon: str, addresses: list[str], port: int) -> dict:
    pool = api.post("/v1/pools", {"name": "p", "monitor_ids": [mon]})
    for a in addresses:
        api.post(f"/v1/pools/{pool['id']}/pool_members", {"address": a, "port": port})
    return pool


def _until(runner: RunnerProcess, fqdn: str, want: set[str], t0: float) -> float:
    wait_for(lambda: dns_answer(fqdn, runner.dns_port) == want, 60, interval=0.01)
    return time.monotonic() - t0


def _gslb(api: Api, fqdn: str, pool: dict) -> dict:
    return api.post("/v1/gslbs", {"fqdn": fqdn, "zone_name": "example.com.", "ttl": 5,
                                  "pools": [{"pool_id": pool["id"], "priority": 1}]})


def _row(name: str, xs: list[float]) -> str:
    return (f"{name:<22} median {statistics.median(xs) * 1000:7.0f} ms   "
            f"max {max(xs) * 1000:7.0f} ms   ({len(xs)} runs)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = common_free_port(ADDRESSES)
        eps = [Endpoint(a, port).start() for a in ADDRESSES]
        runner = RunnerProcess(ROOT, Path(tmp), f"sqlite:///{tmp}/bench.sqlite3",
                               regions=REGIONS).start()
        try:
            api = Api(runner.url)
            mon = api.post("/v1/monitors", {"name": "web", "type": "HTTP", "delay": 1,
                                            "timeout": 0.5, "max_retries": 2,
                                            "max_retries_down": 2})["id"]
            pa, pb = _pool(api, mon, ADDRESSES[:2], port), _pool(api, mon, ADDRESSES[2:], port)
            time.sleep(4)   # both pools ONLINE in every region
            create, swap, delete = [], [], []
            for i in range(args.runs):
                fqdn = f"run{i}.example.com."
                t0 = time.monotonic()
                g = _gslb(api, fqdn, pa)
                create.append(_until(runner, fqdn, set(ADDRESSES[:2]), t0))
                t0 = time.monotonic()
                api.call("PUT", f"/v1/gslbs/{g['id']}",
                         {"pools": [{"pool_id": pb["id"], "priority": 1}]}, expect=200)
                swap.append(_until(runner, fqdn, set(ADDRESSES[2:]), t0))
                t0 = time.monotonic()
                api.call("DELETE", f"/v1/gslbs/{g['id']}", expect=204)
                delete.append(_until(runner, fqdn, set(), t0))
            ids = []
            t_first = time.monotonic()
            for i in range(60):
                m = api.post("/v1/monitors", {"name": "m", "type": "HTTP", "delay": 1,
                                              "timeout": 0.5, "max_retries": 2,
                                              "max_retries_down": 2})["id"]
                ids.append(_gslb(api, f"many{i}.example.com.", _pool(api, m, ADDRESSES[:2], port))["id"])
            last = time.monotonic()

            def settled() -> bool:
                gs = [g for g in api.get("/v1/gslbs?limit=1000")["gslbs"] if g["id"] in ids]
                return len(gs) == len(ids) and all(
                    g["publish_status"] == "SYNCED" and g["operating_status"] == "ONLINE"
                    for g in gs)
            wait_for(settled, 120, interval=0.25)
            settle = time.monotonic() - last
        finally:
            runner.stop()
            for e in eps:
                e.stop()
    print("API reply -> DNS serves the change (reconcile every 300 s, never during the runs):")
    print(_row("create -> served", create))
    print(_row("pool swap -> served", swap))
    print(_row("delete -> NXDOMAIN", delete))
    print(f"60 GSLBs (3 regions, delay 1 s) created in {last - t_first:.1f} s: all SYNCED and "
          f"ONLINE {settle:.1f} s after the last create")
    print("without the change notice: each waited for the next reconcile, up to 300 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
