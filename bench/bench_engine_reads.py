"""The engine's reads at 1,000 and 10,000 GSLBs: their cost must not grow with the tables.

    python bench/bench_engine_reads.py [--n 1000 10000] [--batch 60 300]
                                       [--db postgresql+pg8000://postgres@127.0.0.1:5432/postgres]

Builds a fresh database (``kosmos_bench_engine_reads``) next to the one given: four
GSLBs made through the conductor (each a monitor, a pool, 2 members, 3 regions' health
rows), copied in SQL up to each N (``tests/fixtures/trees.py``), then ANALYZEd. For
each N it times, through the conductor's handler in this process (median of 20 calls,
after one to warm up), what the engine asks for:

- ``engine.context`` for a results batch of ``--batch`` members;
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
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_api import fresh_database  # noqa: E402
from fixtures.conductor import SYSTEM, Builder  # noqa: E402
from fixtures.trees import grow_to, read_in_full, seed  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport  # noqa: E402
from kosmos.conductor.app import build_handler  # noqa: E402
from kosmos.conductor.db.context_read import _PG_CONTEXT  # noqa: E402
from kosmos.conductor.db.trees_read import _PG_TREES  # noqa: E402
from kosmos.conductor.migrate import _run  # noqa: E402
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


def scanned_in_full(conn: Any, statement: Any, params: dict[str, Any]) -> list[str]:
    plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) {statement.text}"), params).scalar_one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return sorted(read_in_full(plan[0]["Plan"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--batch", type=int, nargs="+", default=[60, 300])
    ap.add_argument("--db", default="postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
    a = ap.parse_args()
    url = fresh_database(a.db, "kosmos_bench_engine_reads")
    _run(url, "upgrade", "head")
    seeded = seed(url)
    handler = build_handler(url, auto_migrate=False)
    build = Builder(ConductorClient(InProcessTransport(handler)))
    engine = create_engine(url)
    rng = random.Random(7)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
