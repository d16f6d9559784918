"""Pushing a failover's answers to a real PowerDNS: PATCHes of 500 names (the driver's
size before) against the driver's own (``batch_names`` and ``max_body``), same run.

Starts ``pdns_server`` (SQLite backend, as in the tests) with a zone of N names
(8,334 by default: the names one endpoint's death moves at 10,000 GSLBs in
``bench_scale.py``), then, alternating, pushes every name's answer with the
``powerdns`` driver in PATCHes of 500 names and in the driver's own, flipping the
address each time so every push changes every name. Prints each push's seconds,
the medians and their ratio; the machine is shared, so the ratio means more than
the seconds.

    python bench/bench_powerdns_push.py [--n 8334] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))   # the real PowerDNS server the tests start

from fixtures.powerdns import API_KEY, PowerDns  # noqa: E402

from kosmos.appliances.registry import load  # noqa: E402
from kosmos.config import Settings  # noqa: E402

ZONE = "example.com."


def push(driver, n: int, address: str) -> float:
    """Seconds to push ``n`` names' answers, every one changed to ``address``."""
    answers = [(f"n{i}.scale.{ZONE}", [address], 30) for i in range(n)]
    t0 = time.perf_counter()
    failed = driver.set_answers(ZONE, answers)
    took = time.perf_counter() - t0
    assert not failed, next(iter(failed.values()))
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=8334)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kosmos-bench-pdns-") as tmp:
        pdns = PowerDns(Path(tmp))
        pdns.start()
        try:
            pdns.create_zone(ZONE)
            settings = Settings(appliance="powerdns", powerdns_api_url=pdns.api_url,
                                powerdns_api_key=API_KEY)
            before, now = load("powerdns", settings), load("powerdns", settings)
            before.batch_names, before.max_body = 500, 10 ** 9
            push(now, args.n, "192.0.2.1")   # every name made once
            times: dict[str, list[float]] = {"500 names a PATCH": [], "the driver's": []}
            flip = 0
            for r in range(args.rounds):
                for label, driver in (("500 names a PATCH", before), ("the driver's", now)):
                    flip ^= 1
                    times[label].append(push(driver, args.n, f"192.0.2.{2 + flip}"))
                    print(f"round {r + 1}: {label}: {times[label][-1]:.2f}s", flush=True)
            old, new = (statistics.median(t) for t in times.values())
            print(f"{args.n} names, median of {args.rounds}: 500 names a PATCH {old:.2f}s, the "
                  f"driver's ({now.batch_names} names, {now.max_body:,} bytes at most) {new:.2f}s; "
                  f"ratio {old / new:.2f}")
        finally:
            pdns.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
