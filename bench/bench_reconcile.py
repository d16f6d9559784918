"""Publish and reconcile of every name: in bulk against one request per name, same run.

Builds N GSLBs (one shared pool) on the real conductor (SQLite, in-process, or
PostgreSQL with --db) and the embedded DNS server. Times publishing them all
to the emptied server twice: in PATCHes of many answers (what the ``local``
driver does) and one PUT per name (what it did before; the server rewrote its
state file for each). Then a reconcile that finds nothing to repair, twice:
with the bulk zone listing (what reconcile does) and with one read-back per
name (what a driver that cannot list a zone still gets). Then the same
reconcile sent as shards of 500 (as the engine sends more than
``reconcile_shard_size``), run one after another on one engine instance: with
the shards sharing the run's zone listing (the default) and with each listing
the zone itself (``reconcile_listing_max_age`` 0). Prints the times and the
ratios; this machine is shared, so the ratios mean more than the seconds.

    python bench/bench_reconcile.py [--n 1000 3000] [--db postgresql+pg8000://...]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from kosmos import bootstrap
from kosmos.adapters.emitter import InMemoryEmitter
from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.appliances.base import Appliance
from kosmos.appliances.impl_local import LocalAppliance
from kosmos_local.dns import serve
from kosmos.appliances.registry import Appliances
from kosmos.conductor.app import build_handler
from kosmos.config import Settings
from kosmos.contracts.conductor import CallContext

USER = CallContext(project_id="bench", roles=["member"])


class PerNameLocal(LocalAppliance):
    """The local driver as if it could neither list a zone nor take many answers in one
    request: one read-back and one push per name."""

    def zone_answers(self, zone):
        return None

    def set_answers(self, zone, answers):
        return Appliance.set_answers(self, zone, answers)


def _publish_all(engine, server) -> float:
    """Seconds for ``engine`` to publish every name to an emptied server."""
    for name in list(server.store.names):
        server.store.delete(name)
    t0 = time.perf_counter()
    out = engine.handle("kosmos.engine.reconcile", {"scope": "all"})
    assert out["errors"] == [], out
    return time.perf_counter() - t0


def reconcile_in_shards(engine, at: str) -> tuple[float, list[dict]]:
    """Seconds to reconcile every name as the cron's run at ``at`` does (shards of
    ``reconcile_shard_size``), the shards one after another on ``engine``; their results."""
    engine.deps.emitter = bus = InMemoryEmitter()
    t0 = time.perf_counter()
    engine.handle("kosmos.engine.reconcile", {"scope": "all", "scheduled_at": at})
    outs = [engine.handle("kosmos.engine.reconcile", event.data) for event in bus.events]
    return time.perf_counter() - t0, outs


def run(n: int, db: str, tmp: Path) -> dict[str, float]:
    handler = build_handler(db, settings=Settings(), auto_migrate=True)
    client = ConductorClient(InProcessTransport(handler))
    server = serve("127.0.0.1", 0, 0, str(tmp / f"dns-{n}.json"), zones=["example.com."])
    s = Settings(appliance="local", local_dns_url=server.control_url)
    own = s.model_copy(update={"reconcile_listing_max_age": 0.0})
    engines = {kind: bootstrap.engine_service(st, conductor=client, appliances=Appliances(
        st, {"local": cls(st)})) for kind, cls, st in (
            ("bulk", LocalAppliance, s), ("per-name", PerNameLocal, s),
            ("own", LocalAppliance, own))}
    try:
        mon = client.call("monitor.create", {"values": {"type": "TCP", "delay": 10}}, USER)["id"]
        pool = client.call("pool.create", {"values": {"monitor_ids": [mon]}}, USER)["id"]
        client.call("member.create", {"values": {"pool_id": pool, "address": "192.0.2.1"}}, USER)
        for i in range(n):
            client.call("gslb.create", {"values": {
                "fqdn": f"r{n}-{i}.example.com.", "zone_name": "example.com.",
                "pools": [{"pool_id": pool, "priority": 1}]}}, USER)
        times = {"per-name publish": _publish_all(engines["per-name"], server),
                 "bulk publish": _publish_all(engines["bulk"], server)}
        for kind in ("per-name", "bulk", "per-name", "bulk"):
            t0 = time.perf_counter()
            out = engines[kind].handle("kosmos.engine.reconcile", {"scope": "all"})
            assert out["drift"] == [] and out["errors"] == [], out
            times[kind] = min(times.get(kind, 1e9), time.perf_counter() - t0)
        for i, kind in enumerate(("own", "bulk", "own", "bulk")):
            took, outs = reconcile_in_shards(engines[kind], f"2026-01-01T00:0{i}:00Z")
            assert all(o["drift"] == [] and o["errors"] == [] for o in outs), outs
            times[f"{kind} shards"] = min(times.get(f"{kind} shards", 1e9), took)
        return times
    finally:
        server.stop()
        handler.database.dispose()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, nargs="+", default=[1000, 3000])
    p.add_argument("--db", default=None, help="SQLAlchemy URL (default: a new SQLite file per N)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'names':>7}  {'bulk push':>10}  {'push per name':>14}  ratio  "
              f"{'bulk listing':>13}  {'read per name':>14}  ratio  "
              f"{'shards, shared listing':>23}  {'shards, own listings':>21}  ratio")
        for n in args.n:
            db = args.db or f"sqlite:///{tmp}/bench-{n}.sqlite3"
            t = run(n, db, Path(tmp))
            print(f"{n:>7}  {t['bulk publish']:>9.2f}s  {t['per-name publish']:>13.2f}s  "
                  f"{t['per-name publish'] / t['bulk publish']:5.1f}x  {t['bulk']:>12.2f}s  {t['per-name']:>13.2f}s  "
                  f"{t['per-name'] / t['bulk']:5.1f}x  {t['bulk shards']:>22.2f}s  "
                  f"{t['own shards']:>20.2f}s  {t['own shards'] / t['bulk shards']:5.1f}x",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
