"""Conductor throughput: create, get, list (1,000 rows) and bulk health writes.

Also the checker's and engine's reads: checks.due and engine.context.

Runs the real conductor handler in-process (no HTTP) on a fresh SQLite file
and on a fresh PostgreSQL database, and prints operations per second.

    python bench/bench_conductor.py [--members 1000] [--rounds 10]

PostgreSQL: KOSMOS_BENCH_DATABASE_URL (a server URL; a database is created
and dropped on it), else postgres@127.0.0.1:5432; skipped when unreachable.
Figures vary with the machine and whatever else runs on it: compare runs on
one machine, not across machines.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.conductor.app import build_handler
from kosmos.config import Settings
from kosmos.contracts.conductor import CallContext

CTX = CallContext(project_id="bench")
SYSTEM = CallContext.system()


def rate(label: str, count: int, unit: str, fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    per_s = count / elapsed if elapsed else float("inf")
    print(f"  {label:<44} {per_s:>10,.0f} {unit}/s   ({count} in {elapsed:.2f} s)")
    return per_s


def run(url: str, members: int, rounds: int) -> dict[str, float]:
    handler = build_handler(url, settings=Settings(), auto_migrate=True)
    client = ConductorClient(InProcessTransport(handler))
    out: dict[str, float] = {}
    try:
        monitor = client.call("monitor.create", {"values": {"type": "HTTP", "delay": 10}}, CTX)
        pool = client.call("pool.create", {"values": {"monitor_ids": [monitor["id"]]}}, CTX)
        ids: list[str] = []

        def create() -> None:
            for i in range(members):
                ids.append(client.call("member.create", {"values": {
                    "pool_id": pool["id"], "address": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"}},
                    CTX)["id"])

        out["create"] = rate("member.create", members, "ops", create)

        def get() -> None:
            for mid in ids:
                client.call("member.get", {"id": mid}, CTX)

        out["get"] = rate("member.get", len(ids), "ops", get)

        def list_all() -> None:
            for _ in range(rounds):
                page = client.call("member.list", {"pool_id": pool["id"], "limit": 1000}, CTX)
                assert len(page["items"]) == min(members, 1000)

        out["list"] = rate(f"member.list of {min(members, 1000)} rows", rounds, "lists", list_all)

        def due() -> None:
            for _ in range(rounds):
                assert len(client.call("checks.due", {"region": "r0"}, SYSTEM)["checks"]) == members

        out["checks_due"] = rate(f"checks.due of {members} checks", rounds, "calls", due)

        t0 = datetime.now(timezone.utc)

        def states(region: str, step: int, expected: int | None) -> list[dict[str, Any]]:
            at = (t0 + timedelta(seconds=step)).isoformat()
            return [{"state": {"member_id": mid, "monitor_id": monitor["id"], "region": region,
                               "project_id": "bench", "verdict": "UP" if step % 2 else "DOWN",
                               "consecutive_ok": step % 4, "consecutive_fail": 0,
                               "last_ok": True, "last_reason": "HTTP 200",
                               "last_latency_ms": 1.5, "last_checked_at": at},
                     "expected_version": expected} for mid in ids]

        batches_new = [states(f"r{r}", 0, None) for r in range(rounds)]
        batches_upd = [states(f"r{r}", 1, 1) for r in range(rounds)]

        def write(batches: list[list[dict[str, Any]]]) -> Callable[[], None]:
            def go() -> None:
                for batch in batches:
                    assert client.call("health.write", {"states": batch}, SYSTEM)["written"] == len(batch)
            return go

        out["health_insert"] = rate(f"health.write, {members} new rows per call",
                                    members * rounds, "results", write(batches_new))
        out["health_update"] = rate(f"health.write, {members} compare-and-set per call",
                                    members * rounds, "results", write(batches_upd))

        def moves(group: int) -> Callable[[], None]:
            """Every member's status moved, one call per round, ``group`` sets of values
            per round trip on PostgreSQL (1: as pg8000's own executemany sends them)."""
            def go() -> None:
                from kosmos.conductor.db import pg8000_pipeline
                kept, pg8000_pipeline.MANY = pg8000_pipeline.MANY, group
                try:
                    for _ in range(rounds):
                        read = {m["id"]: m for m in client.call(
                            "member.list", {"pool_id": pool["id"], "limit": 1000}, CTX)["items"]}
                        changes = [{"member_id": mid, "operating_status": "OFFLINE" if
                                    read[mid]["operating_status"] == "ONLINE" else "ONLINE",
                                    "status_reason": "bench",
                                    "expected_version": read[mid]["status_version"]}
                                   for mid in ids if mid in read]
                        assert client.call("health.write", {"states": [], "members": changes},
                                           SYSTEM)["written"] == len(changes)
                finally:
                    pg8000_pipeline.MANY = kept
            return go

        per_call = min(members, 1000)
        out["status_moves"] = rate(f"health.write, {per_call} member statuses per call",
                                   per_call * rounds, "moves", moves(200))
        if url.startswith("postgresql"):
            out["status_moves_one"] = rate("  the same, one set per round trip (pg8000's)",
                                           per_call * rounds, "moves", moves(1))

        def context() -> None:
            for _ in range(rounds):
                got = client.call("engine.context", {"member_ids": ids}, SYSTEM)
                assert len(got["states"]) == members * rounds

        out["engine_context"] = rate(f"engine.context of {members} members", rounds, "calls",
                                     context)
    finally:
        handler.database.dispose()
    return out


def postgres_database() -> tuple[str, Callable[[], None]] | None:
    server = os.environ.get("KOSMOS_BENCH_DATABASE_URL",
                            "postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT",
                          connect_args={"timeout": 5})
    name = f"kosmos_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: say so and go on with SQLite
        print(f"PostgreSQL skipped: {exc.__class__.__name__}: {str(exc).splitlines()[0][:120]}")
        admin.dispose()
        return None

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    a = parser.parse_args(argv)
    print(f"conductor bench: {a.members} members, {a.rounds} rounds, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs (shared: figures are noisy)")
    results: dict[str, dict[str, float]] = {}
    if a.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite (file, WAL)")
            results["sqlite"] = run(f"sqlite:///{tmp}/bench.sqlite3", a.members, a.rounds)
    if a.only in (None, "postgres"):
        pg = postgres_database()
        if pg is not None:
            url, drop = pg
            try:
                print("PostgreSQL (pg8000)")
                results["postgres"] = run(url, a.members, a.rounds)
            finally:
                drop()
    if "postgres" in results:
        best = statistics.mean([results["postgres"]["health_insert"],
                                results["postgres"]["health_update"]])
        verdict = "meets" if best >= 20000 else "MISSES"
        print(f"PostgreSQL bulk health writes: {best:,.0f} results/s on average, "
              f"{verdict} the 20,000/s target")
        pg = results["postgres"]
        print(f"PostgreSQL member status writes: {pg['status_moves']:,.0f} moves/s with 200 "
              f"sets of values per round trip, {pg['status_moves_one']:,.0f}/s with one "
              f"({pg['status_moves'] / pg['status_moves_one']:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
