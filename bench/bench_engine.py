"""Engine throughput and decision-to-DNS latency, through the real conductor on PostgreSQL.

    python bench/bench_engine.py [--members 3000] [--batch 500] [--seconds 20]
                                 [--database-url postgresql+pg8000://postgres@127.0.0.1:5432/postgres]

Builds a fresh database (``kosmos_bench_engine``) next to the one given, creates
``--members`` IP members in pools of 20, one GSLB per pool, one TCP monitor
(delay 10 s, rise 2, fall 2) and three checker regions, and serves the answers
with the embedded DNS responder (the ``local`` appliance). The conductor runs
in-process (``InProcessTransport``), so the figures are engine + conductor +
database + DNS, without the HTTP hop between functions. After the setup the
garbage collector is tuned as the warm engine instance does
(``kosmos.gc_tuning``).

1. Throughput: steady-state results (every member fine in every region, one
   batch per region per 10 s slot) for ``--seconds``; results per second.
   Half the rows are rewritten every other slot as freshness heartbeats.
2. Latency: a member fails in two regions of three; from handing the decisive
   batch to the engine until the DNS responder serves the answer without the
   member (the moment it confirmed the change; a DNS query checks it) (p50/p99),
   for a decisive batch of 1, 100 and ``--batch`` results (the checker publishes
   what completed each second, so a batch holds ~members/delay results).

Figures are noisy on a small shared machine; run it twice.
"""
from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dns.message
import dns.query

from kosmos import bootstrap
from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.appliances.impl_local import LocalAppliance
from kosmos_local.dns import serve
from kosmos.appliances.registry import Appliances
from kosmos.conductor.app import build_handler
from kosmos.config import Settings
from kosmos.contracts.conductor import CallContext
from kosmos.contracts.events import CheckResult, CheckResults
from kosmos import gc_tuning

REGIONS = ["r1", "r2", "r3"]
USER = CallContext(project_id="bench", roles=["member"])
POOL_SIZE = 20


BENCH_DB = "kosmos_bench_engine"


def _admin(url: str, *statements: str) -> None:
    import pg8000.native
    parts = urlsplit(url)
    conn = pg8000.native.Connection(parts.username or "postgres", host=parts.hostname or "127.0.0.1",
                                    port=parts.port or 5432, password=parts.password,
                                    database=parts.path.lstrip("/") or "postgres")
    for sql in statements:
        conn.run(sql)
    conn.close()


def fresh_database(url: str, name: str = BENCH_DB) -> str:
    _admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def populate(client: ConductorClient, n_members: int) -> tuple[str, list[dict[str, Any]]]:
    mon = client.call("monitor.create", {"values": {"type": "TCP", "delay": 10, "max_retries": 2,
                                                    "max_retries_down": 2}}, USER)
    gslbs = []
    for p in range(max(1, n_members // POOL_SIZE)):
        pool = client.call("pool.create", {"values": {"monitor_ids": [mon["id"]]}}, USER)
        members = [client.call("member.create", {"values": {
            "pool_id": pool["id"], "address": f"10.{p // 250}.{p % 250}.{i + 1}", "port": 80}}, USER)["id"]
            for i in range(POOL_SIZE)]
        g = client.call("gslb.create", {"values": {"fqdn": f"g{p}.bench.example.", "zone_name": "bench.example.",
                                                   "pools": [{"pool_id": pool["id"], "priority": 1}]}}, USER)
        gslbs.append({"id": g["id"], "fqdn": g["fqdn"], "members": members,
                      "addresses": [f"10.{p // 250}.{p % 250}.{i + 1}" for i in range(POOL_SIZE)]})
    return mon["id"], gslbs


def results(region: str, monitor: str, items: list[tuple[str, bool]], at: datetime) -> dict[str, Any]:
    return CheckResults(region=region, checker_id=f"bench-{region}", batch_id=f"{region}/{at.isoformat()}",
                        results=[CheckResult(member_id=m, monitor_id=monitor, ok=ok, reason="bench",
                                             checked_at=at) for m, ok in items]).model_dump(mode="json")


class TimedLocal(LocalAppliance):
    """The local driver, noting when the responder confirmed each change (it serves it from then)."""

    served_at: dict[str, float] = {}

    def set_answer(self, fqdn: str, zone: str, addresses: list[str], ttl: int) -> None:
        super().set_answer(fqdn, zone, addresses, ttl)
        self.served_at[fqdn] = time.perf_counter()


def resolve(port: int, fqdn: str) -> list[str]:
    resp = dns.query.udp(dns.message.make_query(fqdn, "A"), "127.0.0.1", port=port, timeout=2)
    return sorted(r.to_text() for rrset in resp.answer for r in rrset)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--transitions", type=int, default=90, help="latency samples in all")
    ap.add_argument("--workers", type=int, default=1,
                    help="engine instances handling events at once (threads sharing one conductor)")
    ap.add_argument("--database-url", default="postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
    a = ap.parse_args()

    url = fresh_database(a.database_url) if a.database_url.startswith("postgresql") else a.database_url
    settings = Settings(database_url=url, appliance="local", regions=REGIONS, log_level="WARNING",
                        database_pool_size=max(5, a.workers + 1))
    client = ConductorClient(InProcessTransport(build_handler(url, settings)))
    dns_server = serve("127.0.0.1", 0, 0, None, zones=["bench.example."])
    settings = settings.model_copy(update={"local_dns_url": dns_server.control_url})
    clock = Clock()
    engine = bootstrap.engine_service(settings, conductor=client, clock=clock,
                                      appliances=Appliances(settings, {"local": TimedLocal(settings)}))
    pool = ThreadPoolExecutor(a.workers)
    t = time.perf_counter()
    monitor, gslbs = populate(client, a.members)
    all_members = [m for g in gslbs for m in g["members"]]
    gc_tuning.tune()   # as the warm engine instance does once it is built
    print(f"database: {urlsplit(url).scheme}, {len(all_members)} members, {len(gslbs)} GSLBs, "
          f"{len(REGIONS)} regions (setup {time.perf_counter() - t:.1f} s)")

    def slot(items: list[tuple[str, bool]]) -> int:
        """One 10 s slot: every region's batches, ``--workers`` engine instances at once."""
        clock.now += timedelta(seconds=10)
        at = clock.now - timedelta(seconds=1)
        events = [results(region, monitor, items[i:i + a.batch], at)
                  for region in REGIONS for i in range(0, len(items), a.batch)]
        list(pool.map(lambda data: engine.handle("kosmos.check.results", data), events))
        return sum(len(e["results"]) for e in events)

    t = time.perf_counter()
    for _ in range(2):
        slot([(m, True) for m in all_members])
    print(f"bring-up: 2 slots, every member UNKNOWN -> ONLINE, {time.perf_counter() - t:.1f} s")

    count, t = 0, time.perf_counter()
    while time.perf_counter() - t < a.seconds:
        count += slot([(m, True) for m in all_members])
    elapsed = time.perf_counter() - t
    print(f"throughput (steady state, batches of {a.batch}, {a.workers} engine worker(s)): "
          f"{count / elapsed:,.0f} results/s "
          f"({count} results in {elapsed:.1f} s; target 10,000/s)")

    sizes = sorted({1, min(100, a.batch), a.batch})
    per_size = max(1, min(a.transitions, len(gslbs) * POOL_SIZE) // len(sizes))
    k = 0
    for size in sizes:
        latencies: list[float] = []
        handled: list[float] = []
        for _ in range(per_size):
            g = gslbs[k % len(gslbs)]
            victim = g["members"][(k // len(gslbs)) % POOL_SIZE]
            k += 1
            expected = [addr for m, addr in zip(g["members"], g["addresses"]) if m != victim]
            expected = sorted(set(expected) & set(resolve(dns_server.dns_port, g["fqdn"])))
            filler = [(m, True) for m in all_members if m != victim][:size - 1]
            for step in range(2):
                clock.now += timedelta(seconds=10)
                at = clock.now - timedelta(seconds=1)
                engine.handle("kosmos.check.results", results("r1", monitor, [(victim, False), *filler], at))
                decisive = results("r2", monitor, [(victim, False), *filler], at)
                if step == 0:
                    engine.handle("kosmos.check.results", decisive)
                    continue
                started = time.perf_counter()
                engine.handle("kosmos.check.results", decisive)
                if resolve(dns_server.dns_port, g["fqdn"]) != expected:
                    raise SystemExit(f"{g['fqdn']} did not drop the failed member")
                latencies.append((TimedLocal.served_at[g["fqdn"]] - started) * 1000)
                handled.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"decisive result -> DNS serves the new answer, decisive batch of {size} result(s), "
              f"{len(latencies)} transitions: p50 {statistics.median(latencies):.1f} ms, "
              f"p99 {p99:.1f} ms (target < 100 ms p99); whole event incl. the conductor writes "
              f"after the push: p50 {statistics.median(handled):.1f} ms")
    dns_server.stop()
    pool.shutdown()
    if a.database_url.startswith("postgresql"):
        client.transport.handler.database.dispose()   # type: ignore[attr-defined]
        _admin(a.database_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
