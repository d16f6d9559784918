"""Three simulated regions: one region alone cannot pull an endpoint; two can."""
from __future__ import annotations

import time

import pytest

from kosmos_local.harness import ADDRESSES, DELAY, DOWN, deploy

pytestmark = pytest.mark.e2e

REGIONS = ["RegionOne", "RegionTwo", "RegionThree"]


def _regions(d, address: str) -> dict[str, dict]:
    member = d.members[address]
    tree = d.api.get(f"/v1/pools/{d.pool['id']}/pool_members/{member['id']}/status")
    return {r["region"]: r for r in tree.get("regions", [])}


def _wait_every_region_up(d, address: str, timeout: float = 20) -> None:
    """ONLINE needs two regions only: wait until the third has reported too."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        regions = _regions(d, address)
        if all(regions.get(r, {}).get("verdict") == "UP" and regions[r].get("fresh") for r in REGIONS):
            return
        time.sleep(0.2)
    raise AssertionError(f"not every region reported {address} UP: {_regions(d, address)}")


def _steady(d, expected: set[str], seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got = d.answer()
        assert got == expected, f"answer changed to {got}\n{d.runner.log_tail(60)}"
        time.sleep(0.1)


@pytest.mark.parametrize("mode", ["fail", "cut"])
def test_one_region_alone_removes_nothing(start_runner, endpoints, mode):
    runner = start_runner(regions=REGIONS)
    d = deploy(runner, endpoints[ADDRESSES[0]].port)
    d.wait_all_online()
    _wait_every_region_up(d, ADDRESSES[0])

    d.api.region("RegionOne", mode)
    _steady(d, set(ADDRESSES), seconds=3 * DELAY * DOWN + 2)
    regions = _regions(d, ADDRESSES[0])
    if mode == "fail":
        # RegionOne did conclude DOWN; the other two regions outvote it.
        assert regions["RegionOne"]["verdict"] == "DOWN", regions
    else:
        # Nothing from RegionOne arrives any more: its last verdict has gone stale.
        assert regions["RegionOne"]["fresh"] is False, regions
    assert regions["RegionTwo"]["verdict"] == "UP" and regions["RegionThree"]["verdict"] == "UP"
    assert regions["RegionTwo"]["fresh"] and regions["RegionThree"]["fresh"], regions


def test_two_of_three_regions_down_removes_the_endpoint(start_runner, endpoints):
    runner = start_runner(regions=REGIONS)
    d = deploy(runner, endpoints[ADDRESSES[0]].port)
    d.wait_all_online()

    victim = ADDRESSES[2]
    d.api.region("RegionOne", "fail", [victim])
    d.api.region("RegionTwo", "fail", [victim])
    took = d.wait_answer(set(ADDRESSES) - {victim}, timeout=DELAY * DOWN + 6)
    print(f"two-region failover: {took:.2f}s")

    d.api.region("RegionOne", "ok")
    d.api.region("RegionTwo", "ok")
    d.wait_answer(set(ADDRESSES), timeout=15)
