"""Run Kosmos on one machine: ``python local/runner.py`` (``--help`` for flags).

Emulates the serverless platform: an HTTP gateway to the api function, the
conductor on a SQLite file, a checker per simulated region fed by a cron
emulator through an in-process queue, the engine, and an embedded DNS server.
Ctrl-C (or SIGTERM) stops it cleanly.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from kosmos_local.options import APPLIANCES, AUTH, DEFAULT_DB, RunnerOptions
from kosmos_local.platform import Platform

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"


def _regions(text: str) -> list[str]:
    return [r.strip() for r in text.split(",") if r.strip()]


def parse_args(argv: list[str] | None = None) -> RunnerOptions:
    p = argparse.ArgumentParser(prog="local/runner.py", description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address of the gateway and DNS server")
    p.add_argument("--port", type=int, default=8080, help="gateway (REST API) port")
    p.add_argument("--dns-port", type=int, default=5353, help="embedded DNS server port (UDP+TCP)")
    p.add_argument("--regions", type=_regions, default=["RegionOne", "RegionTwo"],
                   help="simulated checker regions, comma-separated")
    p.add_argument("--db", default=DEFAULT_DB, help="SQLAlchemy URL of the conductor's database")
    p.add_argument("--appliance", choices=APPLIANCES, default="local", help="GSLB appliance driver")
    p.add_argument("--auth", choices=AUTH, default="noauth",
                   help="noauth trusts X-Project-Id/X-Roles; keystone validates X-Auth-Token")
    p.add_argument("--tick", type=float, default=1.0, help="seconds between cron ticks")
    p.add_argument("--reconcile", type=float, default=300.0, metavar="SECONDS",
                   help="seconds between kosmos.engine.reconcile events (production's default: "
                        "users' changes and health reach DNS without waiting for one)"),
    p.add_argument("--conductor-port", type=int, default=0,
                   help="internal conductor port (0: any free port)")
    p.add_argument("--conductor-instances", type=int, default=0, metavar="N",
                   help="conductor processes sharing its port, as the platform scales it out "
                        "(0: one per core, at most 2, on PostgreSQL or MySQL; 1 on SQLite)")
    p.add_argument("--checker-instances", type=int, default=0, metavar="N",
                   help="checker processes per region sharing its port, as the platform "
                        "scales the checker out (0: the cores shared out over the regions)")
    p.add_argument("--checker-nice", type=int, default=10, metavar="N",
                   help="how much lower the checker processes' CPU priority is than the other "
                        "functions' (POSIX nice; 0: the same). On one machine the checkers, "
                        "which make the results, must not take the CPU from the engine and "
                        "conductor, which apply them: a result applied late is probing wasted. "
                        "The platform runs each region's checker on nodes of its own")
    p.add_argument("--cut-region", action="append", default=[], metavar="REGION",
                   help="start with REGION cut off: its results never reach the engine")
    p.add_argument("--fail-region", action="append", default=[], metavar="REGION",
                   help="start with every probe of REGION failing")
    p.add_argument("--no-loopback", action="store_true",
                   help="refuse loopback probe targets, as production does (the demo's "
                        "endpoints live on 127.0.0.2-4, so it is allowed by default here)")
    p.add_argument("--log-format", choices=("text", "json"), default="text")
    p.add_argument("--log-level", default="INFO")
    a = p.parse_args(argv)
    try:
        return RunnerOptions(functions_dir=FUNCTIONS_DIR, host=a.host, port=a.port,
                             dns_port=a.dns_port, regions=a.regions, db=a.db,
                             appliance=a.appliance, auth=a.auth, tick=a.tick,
                             reconcile=a.reconcile, conductor_port=a.conductor_port,
                             conductor_instances=a.conductor_instances,
                             checker_instances=a.checker_instances, checker_nice=a.checker_nice,
                             cut_regions=a.cut_region, fail_regions=a.fail_region,
                             log_format=a.log_format, allow_loopback=not a.no_loopback, log_level=a.log_level)
    except ValueError as exc:
        p.error(str(exc))
        raise  # unreachable: p.error exits


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    platform = Platform(opts)
    try:
        platform.start()
        while not stop.wait(0.5):
            pass
    except OSError as exc:  # a port already taken is the usual cause
        print(f"local/runner.py: cannot start: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # a function process did not come up
        print(f"local/runner.py: cannot start: {exc}", file=sys.stderr)
        return 1
    finally:
        platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
