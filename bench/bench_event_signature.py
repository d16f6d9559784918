"""What a signed event costs its sender and its receiver, with the body checked as received
and with the data written again in canonical form (as before the body was checked).

    python bench/bench_event_signature.py [--results 2500] [--rounds 20]

A ``kosmos.check.results`` batch of ``--results`` results (a checker's batch at 10,000
GSLBs is about that many), signed as the emitter signs it. Prints milliseconds per batch:

- sender: validating and writing the data (``Emitter.emit``), then the HTTP body
  (``body_of``): one canonical write, against two writes before (the canonical one for the
  signature, pydantic-core's for the body);
- receiver: the check of the signature (``event_signature.holds``) on the body as received,
  against writing the parsed data again in canonical form; and parsing the body, which
  both do, for scale.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

import pydantic_core

from kosmos.adapters import event_signature as sig
from kosmos.adapters.emitter import InMemoryEmitter, body_of, encode
from kosmos.contracts.events import CHECK_RESULTS, CheckResult, CheckResults

KEY = "k" * 64


def results_batch(n: int) -> CheckResults:
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return CheckResults(region="RegionOne", checker_id="checker-1", batch_id="RegionOne/x/0",
                        results=[CheckResult.trusted(
                            f"{i:08d}-0000-4000-8000-000000000000",
                            f"{i % 97:08d}-0000-4000-8000-000000000001", "127.0.0.2", True,
                            0.4 + i % 7 / 10, "HTTP 200", at + timedelta(milliseconds=i))
                            for i in range(n)])


def ms(f, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        f()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=int, default=2500)
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args()
    data = results_batch(a.results)
    bus = InMemoryEmitter(source="//kosmos/checker/RegionOne", signing_key=KEY)

    def send_now() -> bytes:
        return body_of(bus.emit(CHECK_RESULTS, data, event_id="e1"))

    def send_before() -> bytes:
        payload = encode(CHECK_RESULTS, data)
        sig.signature(KEY, CHECK_RESULTS, "e1", bus.source, payload)
        return pydantic_core.to_json(payload)

    body = send_now()
    sent = bus.events[-1].signature
    parsed = json.loads(body)
    assert sig.holds(KEY, CHECK_RESULTS, "e1", bus.source, parsed, sent, body)
    rows = [("sender: emit and body", ms(send_now, a.rounds), ms(send_before, a.rounds)),
            ("receiver: signature check", ms(lambda: sig.holds(
                KEY, CHECK_RESULTS, "e1", bus.source, parsed, sent, body), a.rounds),
             ms(lambda: sig.holds(KEY, CHECK_RESULTS, "e1", bus.source, parsed, sent), a.rounds))]
    print(f"one {CHECK_RESULTS} batch of {a.results} results, {len(body) / 1e6:.2f} MB "
          f"(median of {a.rounds}):")
    print(f"{'':28} {'body checked':>14} {'data rewritten':>15}")
    for name, now, before in rows:
        print(f"{name:28} {now:11.2f} ms {before:12.2f} ms   ({before / now:.1f}x)")
    print(f"{'receiver: parsing the body':28} {ms(lambda: json.loads(body), a.rounds):11.2f} ms "
          "(both)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
