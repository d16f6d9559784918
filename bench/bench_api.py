"""REST API throughput and latency over HTTP, on PostgreSQL.

    python bench/bench_api.py [--database-url postgresql+pg8000://postgres@127.0.0.1:5432/postgres]
                              [--requests 1500] [--concurrency 4] [--hop inprocess|http]

Creates a fresh database (``kosmos_bench_api``) next to the one given, starts
functions/api/main.py in a server subprocess (noauth; werkzeug threaded
server with HTTP/1.1 keep-alive) and drives it from client threads in this
process:

- ``POST /v1/pools``          create (one conductor write)
- ``GET /v1/pools/{id}``      one resource
- ``GET /v1/pools?limit=50``  one page of a list of ``--requests`` pools

``--hop inprocess`` (default) runs the conductor inside the api process (one
warm instance calling the database directly); ``--hop http`` serves
functions/conductor/main.py in a second subprocess and has the api call it
over HTTP, as deployed. Prints requests/s and p50/p99 latency per operation.
The machine is small (2 cores) and shared, and client, api and database run on
it together: treat the figures as orders of magnitude, noisy by tens of %.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {"X-Project-Id": "bench", "X-Roles": "member", "Content-Type": "application/json"}


def fresh_database(url: str, name: str = "kosmos_bench_api") -> str:
    import pg8000.native
    parts = urlsplit(url)
    conn = pg8000.native.Connection(parts.username or "postgres", host=parts.hostname or "127.0.0.1",
                                    port=parts.port or 5432, password=parts.password,
                                    database=parts.path.lstrip("/") or "postgres")
    conn.run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conn.run(f"CREATE DATABASE {name}")
    conn.close()
    return urlunsplit(parts._replace(path="/" + name))


# ----------------------------------------------------------------------------- servers

def serve(function: str, database_url: str, conductor_url: str | None) -> None:
    """Subprocess body: serve one function on a free port, print the port, run forever."""
    from functions_framework import create_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    from kosmos.adapters.conductor_client import ConductorClient, HttpTransport, InProcessTransport
    from kosmos.api.app import ApiApp
    from kosmos.api.auth import NoAuth
    from kosmos.api.entry import INSTANCE

    os.environ["KOSMOS_DATABASE_URL"] = database_url
    os.environ["KOSMOS_LOG_LEVEL"] = "WARNING"
    os.environ["KOSMOS_DATABASE_AUTO_MIGRATE"] = "true"
    if function == "api":
        if conductor_url:
            client = ConductorClient(HttpTransport(conductor_url, 10.0))
        else:
            from kosmos.conductor.app import build_handler
            client = ConductorClient(InProcessTransport(build_handler(database_url, auto_migrate=True)))
        INSTANCE.use(ApiApp(client, NoAuth()))
        app = create_app(target="kosmos_api", source=str(ROOT / "functions/api/main.py"),
                         signature_type="http")
    else:
        app = create_app(target="kosmos_conductor", source=str(ROOT / "functions/conductor/main.py"),
                         signature_type="http")

    class Quiet(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a gateway in front of a function would

        def log_request(self, *args, **kwargs) -> None:
            pass

    import logging
    logging.getLogger("kosmos").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    print(server.server_port, flush=True)
    server.serve_forever()


def start(function: str, database_url: str, conductor_url: str | None = None):
    args = [sys.executable, __file__, "--serve", function, "--database-url", database_url]
    if conductor_url:
        args += ["--conductor-url", conductor_url]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(url + ("/" if function == "api" else "/healthz"), timeout=2)
            break
        except requests.RequestException:
            time.sleep(0.1)
    return proc, url


# ----------------------------------------------------------------------------- load

def drive(name: str, n: int, concurrency: int, make_request) -> dict:
    """Run ``n`` requests from ``concurrency`` threads; each ``make_request(session, i)``."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(n))

    def worker() -> None:
        session = requests.Session()
        mine: list[float] = []
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            t0 = time.perf_counter()
            resp = make_request(session, i)
            mine.append(time.perf_counter() - t0)
            if resp.status_code >= 300:
                with lock:
                    errors.append(f"{resp.status_code} {resp.text[:120]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {"name": name, "n": n, "rps": n / elapsed, "p50": q[49] * 1000, "p99": q[98] * 1000,
            "errors": errors}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default="postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--requests", type=int, default=1500)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--hop", choices=("inprocess", "http"), default="inprocess")
    p.add_argument("--serve", choices=("api", "conductor"), help=argparse.SUPPRESS)
    p.add_argument("--conductor-url", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.serve:
        serve(a.serve, a.database_url, a.conductor_url)
        return 0

    db = fresh_database(a.database_url)
    procs = []
    try:
        conductor_url = None
        if a.hop == "http":
            proc, conductor_url = start("conductor", db)
            procs.append(proc)
        proc, url = start("api", db, conductor_url)
        procs.append(proc)
        mon = requests.post(url + "/v1/monitors", json={"type": "TCP", "delay": 10},
                            headers=PROJECT, timeout=10).json()
        ids: list[str] = [""] * a.requests
        body = {"name": "pool", "monitor_ids": [mon["id"]]}

        def post(session, i):
            resp = session.post(url + "/v1/pools", json={**body, "name": f"pool-{i}"},
                                headers=PROJECT, timeout=10)
            if resp.status_code == 201:
                ids[i] = resp.json()["id"]
            return resp

        def get_one(session, i):
            return session.get(f"{url}/v1/pools/{ids[i % len(ids)]}", headers=PROJECT, timeout=10)

        def get_list(session, i):
            return session.get(f"{url}/v1/pools?limit=50&sort_key=name", headers=PROJECT, timeout=10)

        # a short warm-up so connection pools and caches exist before timing
        drive("warm-up", 50, a.concurrency, lambda s, i: s.get(url + "/v1/monitors", headers=PROJECT))
        results = [drive("POST /v1/pools", a.requests, a.concurrency, post),
                   drive("GET /v1/pools/{id}", a.requests, a.concurrency, get_one),
                   drive("GET /v1/pools?limit=50", max(200, a.requests // 3), a.concurrency, get_list)]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)

    print(f"Kosmos api over HTTP on PostgreSQL, conductor hop: {a.hop}, "
          f"{a.concurrency} client threads, {os.cpu_count()} CPUs shared with the database")
    print(f"{'operation':<26}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    failed = False
    for r in results:
        print(f"{r['name']:<26}{r['n']:>9}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
              f"{len(r['errors']):>8}")
        if r["errors"]:
            failed = True
            print("   first error:", r["errors"][0])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
