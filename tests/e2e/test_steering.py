"""Weighted answers through the runner: a dead member's share goes to zero within the
GSLB's stated failover time, and comes back along its slow-start ramp."""
from __future__ import annotations

import time
from collections import Counter

import pytest

from kosmos_local.harness import ADDRESSES, deploy, dns_answer, wait_for

pytestmark = pytest.mark.e2e

SLOW_START = 9


def shares(port: int, seconds: float) -> tuple[Counter, list[tuple[float, str]]]:
    """Query for ``seconds``: counts of each single answer, and (time, answer) samples."""
    counts, samples = Counter(), []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got = dns_answer("www.example.com.", port)
        if got:
            assert len(got) == 1                 # max_answers 1: one address per response
            (address,) = got
            counts[address] += 1
            samples.append((time.monotonic(), address))
    return counts, samples


def test_weighted_share_leaves_with_the_endpoint_and_ramps_back(start_runner, endpoints):
    runner = start_runner()
    dying = ADDRESSES[1]
    d = deploy(runner, endpoints[dying].port)
    d.wait_all_online()
    g = d.api.call("PUT", f"/v1/gslbs/{d.gslb['id']}", {
        "routing": "WEIGHTED", "max_answers": 1, "slow_start": SLOW_START})
    assert (g["routing"], g["max_answers"], g["slow_start"]) == ("WEIGHTED", 1, SLOW_START)
    worst = g["failover_time"]["worst_case_s"]
    wait_for(lambda: len(dns_answer("www.example.com.", runner.dns_port) or ()) == 1, 10)
    wait_for(lambda: len(shares(runner.dns_port, 0.5)[0]) == 3, 10)
    counts, _ = shares(runner.dns_port, 3)
    assert set(counts) == set(ADDRESSES) and min(counts.values()) > sum(counts.values()) / 6, counts

    died = time.monotonic()
    endpoints[dying].stop()

    def gone() -> bool:
        return dying not in shares(runner.dns_port, 0.5)[0]
    wait_for(gone, worst + 5)
    took = time.monotonic() - died
    print(f"weighted share gone in {took:.2f}s (stated worst case {worst}s)")
    assert took <= worst
    counts, _ = shares(runner.dns_port, 2)
    assert dying not in counts and set(counts) == {ADDRESSES[0], ADDRESSES[2]}

    endpoints[dying].start()
    wait_for(lambda: dying in shares(runner.dns_port, 0.3)[0], 20)
    _, samples = shares(runner.dns_port, SLOW_START + 4)
    t0 = samples[0][0] - 0.3

    def share(start: float, end: float) -> float:
        window = [a for t, a in samples if t0 + start <= t < t0 + end]
        return window.count(dying) / len(window)
    early, late = share(0, 2.5), share(SLOW_START + 1, SLOW_START + 4)
    print(f"returning member's share: {early:.3f} in its first 2.5 s, {late:.3f} after its "
          f"{SLOW_START} s slow start (full share 0.333)")
    assert early < 0.2 and late > 0.25 and late > early + 0.1
