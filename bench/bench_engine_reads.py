"""The engine's reads at 1,000 and 10,000 GSLBs: their cost must not grow with the tables.

    python bench/bench_engine_reads.py [--n 1000 10000] [--batch 60 300 2000]
                                       [--db postgresql+pg8000://postgres@127.0.0.1:5432/postgres]

Builds a fresh database (``kosmos_bench_engine_reads``) next to the one given: four
GSLBs made through the conductor (each a monitor, a pool, 2 members, 3 regions' health
rows), copied in SQL up to each N (``tests/fixtures/trees.py``), then ANALYZEd. For
each N it times, through the conductor's handler in this process (median of 20 calls,
after one to warm up), what the engine asks for:

- ``engine.context`` for a results batch of ``--batch`` members, and the engine's read
  of that answer (pydantic, as the conductor client reads it) with CPython's collector
  thresholds and with ``kosmos.gc_tuning``'s, beside 300,000 live records (a warm
  engine's memory of health rows at 10,000 GSLBs is of that order);
- ``gslb.trees`` for one GSLB, as the engine asks after a user's change;
- ``breaker.view`` summary, at every cycle that moves members.

and says which tables the PostgreSQL plans of the first two read in full. At 1,000 the
planner may rightly read a table of a thousand short rows in full; at 10,000 none should
be, as a read by index costs the same at any N. The breaker's summary reads the partial
indexes of what is down, as small at any N while nothing is. The figures of one N against the other's in the same
run are what counts; the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_api import fresh_database  # noqa: E402
from fixtures.conductor import SYSTEM, Builder  # noqa: E402
from fixtures.trees import grow_to, read_in_full, seed  # noqa: E402
import pydantic_core  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport  # noqa: E402
from kosmos.conductor.app import build_handler  # noqa: E402
from kosmos.conductor.db.context_read import _PG_CONTEXT  # noqa: E402
from kosmos.conductor.db.trees_read import _PG_TREES  # noqa: E402
from kosmos import gc_tuning  # noqa: E402
from kosmos.conductor.migrate import _run  # noqa: E402
from kosmos.contracts.health import HealthState  # noqa: E402
from kosmos.contracts.operations import ENGINE_CONTEXT  # noqa: E402
from kosmos.engine.gateway import EngineGateway  # noqa: E402


def timed(call: Callable[[], Any], n: int = 20) -> float:
    """Median milliseconds of ``n`` calls after one."""
    call()
    took = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        took.append((time.perf_counter() - t0) * 1000)
    return statistics.median(took)


def warm_memory(n: int = 300_000) -> list[HealthState]:
    """Records alive for the whole run, as a warm engine holds its memory of health rows."""
    now = datetime.now(timezone.utc)
    return [HealthState(member_id=f"m{i}", monitor_id="mon", region="r", project_id="p",
                        last_checked_at=now) for i in range(n)]


def answer_read(answer: Any) -> list[tuple[float, float]]:
    """Median and largest milliseconds of the engine's read of an ``engine.context``
    answer with CPython's default collector thresholds, then with
    ``kosmos.gc_tuning.YOUNG_THRESHOLD`` (20 reads each, the last three kept alive)."""
    body = pydantic_core.to_json({"result": answer})
    before = gc.get_threshold()
    out = []
    try:
        for young in (700, gc_tuning.YOUNG_THRESHOLD):
            gc.set_threshold(young, before[1], before[2])
            took, held = [], []
            for _ in range(21):
                t0 = time.perf_counter()
                held = [*held[-2:], ENGINE_CONTEXT.parse_body(body)]
                took.append((time.perf_counter() - t0) * 1000)
            out.append((statistics.median(took[1:]), max(took[1:])))
    finally:
        gc.set_threshold(*before)
    return out


def scanned_in_full(conn: Any, statement: Any, params: dict[str, Any]) -> list[str]:
    plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) {statement.text}"), params).scalar_one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return sorted(read_in_full(plan[0]["Plan"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--batch", type=int, nargs="+", default=[60, 300, 2000])
    ap.add_argument("--db", default="postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
    a = ap.parse_args()
    url = fresh_database(a.db, "kosmos_bench_engine_reads")
    _run(url, "upgrade", "head")
    seeded = seed(url)
    handler = build_handler(url, auto_migrate=False)
    build = Builder(ConductorClient(InProcessTransport(handler)))
    engine = create_engine(url)
    rng = random.Random(7)
    memory = warm_memory()
    try:
        for n in sorted(a.n):
            t0 = time.monotonic()
            grow_to(url, n)
            with engine.connect() as conn:
                members = [r[0] for r in conn.execute(text("SELECT id FROM pool_members"))]
                print(f"N={n}: {len(members)} members, copied in "
                      f"{time.monotonic() - t0:.1f}s", flush=True)
                for b in a.batch:
                    ids = rng.sample(members, min(b, len(members)))
                    ms = timed(lambda ids=ids: build.call("engine.context", {"member_ids": ids},
                                                             SYSTEM))
                    full = scanned_in_full(conn, _PG_CONTEXT, {"ids": json.dumps(ids),
                                                              "project": None})
                    print(f"N={n}: engine.context, {b} members: {ms:.1f} ms; "
                          f"tables read in full: {', '.join(full) or 'none'}", flush=True)
                    answer = build.call("engine.context", {"member_ids": ids}, SYSTEM)
                    (default, worst), (tuned, tuned_worst) = answer_read(answer)
                    print(f"N={n}: the engine's read of that answer: {default:.1f} ms "
                          f"(largest {worst:.1f}) with the default collector, {tuned:.1f} ms "
                          f"(largest {tuned_worst:.1f}) tuned", flush=True)
                one = [seeded.gslb_id]
                ms = timed(lambda one=one: build.call("gslb.trees", {"gslb_ids": one,
                                                             "limit": EngineGateway.page_size},
                                              SYSTEM))
                full = scanned_in_full(conn, _PG_TREES, {
                    "ids": json.dumps(one), "project": None, "marker": None,
                    "limit": EngineGateway.page_size + 1})
                print(f"N={n}: gslb.trees, one GSLB: {ms:.1f} ms; "
                      f"tables read in full: {', '.join(full) or 'none'}", flush=True)
            ms = timed(lambda: build.call("breaker.view", {"summary": True,
                                                           "suspect_regions": 2}, SYSTEM))
            print(f"N={n}: breaker.view summary: {ms:.1f} ms", flush=True)
    finally:
        engine.dispose()
        handler.database.dispose()
        del memory
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
