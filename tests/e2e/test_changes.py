"""Users' changes reach DNS through the runner at production's reconcile cadence.

The runner's default reconcile is production's (every 300 s), so after the
one it sends at start none runs during these tests: whatever reaches DNS got
there through the change itself. The bounds are a few seconds wider than the
figure `bench/bench_changes.py` measures, so a busy machine does not fail them.
"""
from __future__ import annotations

import time

import pytest

from kosmos_local.harness import ADDRESSES, RISE, Api, dns_answer, wait_for

pytestmark = pytest.mark.e2e

REGIONS = ["RegionOne", "RegionTwo", "RegionThree"]
BOUND = 5.0   # seconds from the API's answer to DNS serving the change


def _monitor(api: Api) -> str:
    # Generous timeout and fall: these tests are about changes, not about a busy machine's
    # endpoints (threads of the test process) answering late.
    return api.post("/v1/monitors", {"name": "web", "type": "HTTP", "delay": 2, "timeout": 1.5,
                                     "max_retries": RISE, "max_retries_down": 3})["id"]


def _pool(api: Api, monitor: str, addresses: list[str], port: int) -> dict:
    pool = api.post("/v1/pools", {"name": "p", "monitor_ids": [monitor]})
    for a in addresses:
        api.post(f"/v1/pools/{pool['id']}/pool_members", {"address": a, "port": port})
    return pool


def _online(api: Api, pool: dict, timeout: float = 30) -> None:
    def ok():
        members = api.get(f"/v1/pools/{pool['id']}/pool_members")["pool_members"]
        return all(m["operating_status"] == "ONLINE" for m in members)
    wait_for(ok, timeout, interval=0.2)


def _served(runner, fqdn: str, expected: set[str] | None, since: float) -> float:
    """Seconds from ``since`` until DNS serves ``expected`` (None: nothing, NXDOMAIN)."""
    want = expected if expected is not None else set()
    try:
        wait_for(lambda: dns_answer(fqdn, runner.dns_port) == want, BOUND + 10, interval=0.05)
    except TimeoutError:
        raise AssertionError(f"{fqdn} never served {want}\n{runner.log_tail(60)}") from None
    took = time.monotonic() - since
    assert took < BOUND, f"{fqdn}: {took:.2f}s to serve {want}"
    return took


def _gslb(api: Api, fqdn: str, pool: dict) -> dict:
    return api.post("/v1/gslbs", {"fqdn": fqdn, "zone_name": "example.com.", "ttl": 5,
                                  "pools": [{"pool_id": pool["id"], "priority": 1}]})


def test_create_swap_and_delete_reach_dns_without_a_reconcile(start_runner, endpoints):
    runner = start_runner(regions=REGIONS)
    api = Api(runner.url)
    port = endpoints[ADDRESSES[0]].port
    mon = _monitor(api)
    pa, pb = _pool(api, mon, ADDRESSES[:2], port), _pool(api, mon, ADDRESSES[2:], port)
    _online(api, pa)
    _online(api, pb)

    t0 = time.monotonic()
    g = _gslb(api, "new.example.com.", pa)
    print(f"create -> served: {_served(runner, 'new.example.com.', set(ADDRESSES[:2]), t0):.2f}s")
    # The engine records SYNCED once the appliance took the answer, a moment after DNS serves it.
    wait_for(lambda: api.get(f"/v1/gslbs/{g['id']}")["publish_status"] == "SYNCED", 10,
             interval=0.1)

    t0 = time.monotonic()
    api.call("PUT", f"/v1/gslbs/{g['id']}", {"pools": [{"pool_id": pb["id"], "priority": 1}]},
             expect=200)
    print(f"swap -> served: {_served(runner, 'new.example.com.', set(ADDRESSES[2:]), t0):.2f}s")

    t0 = time.monotonic()
    api.call("DELETE", f"/v1/gslbs/{g['id']}", expect=204)
    print(f"delete -> gone: {_served(runner, 'new.example.com.', None, t0):.2f}s")

    # the only reconcile was the one sent at start
    assert runner.log_tail(100_000).count("+ reconcile") == 1


def test_sixty_gslbs_created_while_probing_all_end_synced_and_online(start_runner, endpoints):
    runner = start_runner(regions=REGIONS)
    api = Api(runner.url)
    port = endpoints[ADDRESSES[0]].port
    ids = []
    for i in range(60):
        mon = _monitor(api)
        pool = _pool(api, mon, ADDRESSES[:2], port)
        ids.append(_gslb(api, f"n{i}.example.com.", pool)["id"])
    last = time.monotonic()

    def gslbs():
        return [g for g in api.get("/v1/gslbs?limit=1000")["gslbs"] if g["id"] in ids]

    def settled():
        gs = gslbs()
        return len(gs) == len(ids) and all(g["publish_status"] == "SYNCED" and g["operating_status"] == "ONLINE"
                   and sorted(g["answers"]) == ADDRESSES[:2] for g in gs)
    try:
        wait_for(settled, 30, interval=0.5)
    except TimeoutError:
        gs = gslbs()
        raise AssertionError(
            f"{sum(g['publish_status'] != 'SYNCED' for g in gs)} not SYNCED, "
            f"{sum(g['operating_status'] != 'ONLINE' for g in gs)} not ONLINE 30 s after the "
            f"last create\n{runner.log_tail(60)}") from None
    print(f"60 GSLBs settled {time.monotonic() - last:.1f}s after the last create")
    assert all(dns_answer(f"n{i}.example.com.", runner.dns_port) == set(ADDRESSES[:2])
               for i in range(60))
