"""A few hundred GSLBs through the runner, at production's cadences: health stays live.

At this size the runner once fell behind (results queued behind reconciles, health
rows stale for minutes, new members NO_MONITOR), and a dead endpoint never left
DNS. Here 200 GSLBs, each with its monitor, pool and two members on three shared
endpoints, are created while the checkers run; every name must be served and every
member get a verdict; then one endpoint dies and every name that used it must drop
it. The bound asserted is wide (a busy machine must not fail it); the time is printed.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from kosmos_local.harness import ADDRESSES, Api, dns_answer, wait_for

pytestmark = pytest.mark.e2e

N = 200
DELAY, TIMEOUT, RISE, FALL = 2, 1.5, 2, 3


def _create(runner_url: str, i: int, port: int) -> tuple[str, set[str], str]:
    api = Api(runner_url)
    mon = api.post("/v1/monitors", {"name": f"m{i}", "type": "TCP", "delay": DELAY, "timeout": TIMEOUT,
                                    "max_retries": RISE, "max_retries_down": FALL})["id"]
    pool = api.post("/v1/pools", {"name": f"p{i}", "monitor_ids": [mon]})["id"]
    addresses = {ADDRESSES[i % 3], ADDRESSES[(i + 1) % 3]}
    for a in sorted(addresses):
        api.post(f"/v1/pools/{pool}/pool_members", {"address": a, "port": port})
    fqdn = f"n{i}.scale.example.com."
    api.post("/v1/gslbs", {"name": fqdn, "fqdn": fqdn, "zone_name": "example.com.", "ttl": 5,
                           "all_down": "ALL", "pools": [{"pool_id": pool, "priority": 1}]})
    return fqdn, addresses, pool


def test_a_dead_endpoint_leaves_every_name_of_a_few_hundred(start_runner, endpoints):
    runner = start_runner()
    port = endpoints[ADDRESSES[0]].port
    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(lambda i: _create(runner.url, i, port), range(N)))
    api = Api(runner.url)
    # The api serves before the other functions are up; the conductor's notices of these
    # creates reach the engine all the same (the broker took none of them once).
    lost = [line for line in runner.log_path.read_text(errors="replace").splitlines()
            if "could not tell the engine" in line]
    assert not lost, f"{len(lost)} notices lost, the first: {lost[0]}"

    def unsettled() -> list[str]:
        return [fqdn for fqdn, want, _ in names if dns_answer(fqdn, runner.dns_port) != want]
    wait_for(lambda: not unsettled(), timeout=120, interval=0.5)

    # Every member has a verdict (fail-open would serve members nobody checked).
    def unchecked() -> list[str]:
        out = []
        for _, _, pool_id in names:
            for m in api.get(f"/v1/pools/{pool_id}/pool_members?limit=10")["pool_members"]:
                if m["operating_status"] != "ONLINE":
                    out.append(f"{m['address']}:{m['operating_status']}")
        return out
    try:
        # One look reads every pool's members (a few hundred calls, tens of seconds on a
        # busy machine): the deadline leaves room for several.
        wait_for(lambda: not unchecked(), timeout=180, interval=1)
    except TimeoutError:
        raise AssertionError(f"members without a verdict: {unchecked()[:10]}\n{runner.log_tail(60)}") \
            from None

    # The engine's lag is recorded for every region and shown in a GSLB's status.
    lag = api.get(f"/v1/gslbs/{api.get('/v1/gslbs?limit=1')['gslbs'][0]['id']}/status")["engine_lag"]
    assert sorted(r["region"] for r in lag) == sorted(runner.regions), lag
    print("engine lag by region:", {r["region"]: r["lag_s"] for r in lag})

    dead = ADDRESSES[0]
    affected = [(fqdn, want - {dead}) for fqdn, want, _ in names if dead in want]
    died = time.monotonic()
    endpoints[dead].stop()
    left: list[str] = []

    def all_dropped() -> bool:
        left[:] = [fqdn for fqdn, want in affected if dns_answer(fqdn, runner.dns_port) != want]
        return not left
    try:
        wait_for(all_dropped, timeout=DELAY * FALL + 30, interval=0.2)
    except TimeoutError:
        raise AssertionError(f"{len(left)} of {len(affected)} names still answer {dead}: {left[:5]}\n"
                             f"{runner.log_tail(60)}") from None
    print(f"{len(affected)} names dropped the dead endpoint {time.monotonic() - died:.2f}s after "
          f"its death (target delay x fall + 2 = {DELAY * FALL + 2}s)")
