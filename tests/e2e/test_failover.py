"""The runner as a user starts it: create, resolve, fail over, recover, fail open."""
from __future__ import annotations

import time

import pytest

from kosmos.local.harness import ADDRESSES, DELAY, DOWN, FQDN, deploy

pytestmark = pytest.mark.e2e

BOUND = DELAY * DOWN + 1.0   # the promise: delay × max_retries_down + at most 1 s


def test_create_resolves_to_the_healthy_members(start_runner, endpoints):
    runner = start_runner()
    port = next(iter(endpoints.values())).port
    d = deploy(runner, port)
    d.wait_answer(set(ADDRESSES), timeout=20)
    gslb = d.api.get(f"/v1/gslbs/{d.gslb['id']}")
    assert sorted(gslb["answers"]) == ADDRESSES
    status = d.api.get(f"/v1/gslbs/{d.gslb['id']}/status")
    assert status["operating_status"] == "ONLINE"


def test_dead_endpoint_leaves_in_time_and_comes_back(start_runner, endpoints):
    runner = start_runner()
    port = endpoints[ADDRESSES[1]].port
    d = deploy(runner, port)
    d.wait_answer(set(ADDRESSES), timeout=20)

    died = time.monotonic()
    endpoints[ADDRESSES[1]].stop()
    d.wait_answer({ADDRESSES[0], ADDRESSES[2]}, timeout=BOUND + 5)
    failover = time.monotonic() - died
    print(f"failover time (delay {DELAY}s, max_retries_down {DOWN}): {failover:.2f}s")
    assert failover <= BOUND, f"failover took {failover:.2f}s, more than {BOUND}s"

    history = d.api.get(f"/v1/gslbs/{d.gslb['id']}/history")
    entries = history.get("history", history.get("items", []))
    member_id = d.members[ADDRESSES[1]]["id"]
    assert any(e.get("member_id") == member_id and e.get("to") == "OFFLINE" for e in entries), entries

    endpoints[ADDRESSES[1]].start()
    d.wait_answer(set(ADDRESSES), timeout=15)


def test_everything_down_follows_the_all_down_policy(start_runner, endpoints):
    runner = start_runner()
    port = endpoints[ADDRESSES[0]].port
    fail_open = deploy(runner, port, all_down="ALL")
    dark = deploy(runner, port, all_down="NONE", fqdn="dark.example.com.", api=fail_open.api,
                  pool=fail_open.pool)
    fail_open.wait_answer(set(ADDRESSES), timeout=20)
    dark.wait_answer(set(ADDRESSES), timeout=10, name="dark.example.com.")

    for e in endpoints.values():
        e.stop()
    # The NONE GSLB going dark proves the engine saw every member down...
    dark.wait_answer(set(), timeout=BOUND + 5, name="dark.example.com.")
    # ...while the fail-open GSLB keeps publishing every member.
    assert fail_open.answer() == set(ADDRESSES)
    gslb = fail_open.api.get(f"/v1/gslbs/{fail_open.gslb['id']}")
    assert sorted(gslb["answers"]) == ADDRESSES
    assert FQDN == gslb["fqdn"]
