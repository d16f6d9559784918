"""The runner as a user starts it: create, resolve, fail over, recover, fail open."""
from __future__ import annotations

import time

import pytest

from kosmos_local.harness import ADDRESSES, DELAY, DOWN, FQDN, deploy, wait_for

pytestmark = pytest.mark.e2e

BOUND = DELAY * DOWN + 1.0   # the promise: delay × max_retries_down + at most 1 s


def test_create_resolves_to_the_healthy_members(start_runner, endpoints):
    runner = start_runner()
    endpoints[ADDRESSES[2]].stop()          # one member is down from the start
    d = deploy(runner, endpoints[ADDRESSES[0]].port)
    healthy = set(ADDRESSES[:2])
    d.wait_answer(healthy, timeout=20)
    # pushed to DNS first, then recorded: the record follows at once
    wait_for(lambda: set(d.api.get(f"/v1/gslbs/{d.gslb['id']}")["answers"]) == healthy, 5)
    d.wait_statuses({ADDRESSES[0]: "ONLINE", ADDRESSES[1]: "ONLINE", ADDRESSES[2]: "OFFLINE"},
                    timeout=10)
    # The answer stays put while nothing changes.
    time.sleep(2 * DELAY)
    assert d.answer() == healthy


def test_dead_endpoint_leaves_in_time_and_comes_back(start_runner, endpoints):
    runner = start_runner()
    port = endpoints[ADDRESSES[1]].port
    d = deploy(runner, port)
    d.wait_all_online()

    died = time.monotonic()
    endpoints[ADDRESSES[1]].stop()
    d.wait_answer({ADDRESSES[0], ADDRESSES[2]}, timeout=BOUND + 5)
    failover = time.monotonic() - died
    print(f"failover time (delay {DELAY}s, max_retries_down {DOWN}): {failover:.2f}s")
    assert failover <= BOUND, f"failover took {failover:.2f}s, more than {BOUND}s"

    # The member is OFFLINE and the history says the answer lost its address, and why.
    d.wait_statuses({ADDRESSES[0]: "ONLINE", ADDRESSES[1]: "OFFLINE", ADDRESSES[2]: "ONLINE"}, 3)
    entries = d.api.get(f"/v1/gslbs/{d.gslb['id']}/history")["history"]
    moved = [e for e in entries if e["subject"]["type"] == "gslb"
             and ADDRESSES[1] in e["from"] and ADDRESSES[1] not in e["to"]]
    assert moved and moved[0]["reason"], entries

    endpoints[ADDRESSES[1]].start()
    d.wait_answer(set(ADDRESSES), timeout=15)


def test_everything_down_follows_the_all_down_policy(start_runner, endpoints):
    runner = start_runner()
    port = endpoints[ADDRESSES[0]].port
    fail_open = deploy(runner, port, all_down="ALL")
    dark = deploy(runner, port, all_down="NONE", fqdn="dark.example.com.", api=fail_open.api,
                  pool=fail_open.pool)
    fail_open.wait_all_online()
    dark.wait_answer(set(ADDRESSES), timeout=10, name="dark.example.com.")

    for e in endpoints.values():
        e.stop()
    # The NONE GSLB going dark proves the engine saw every member down...
    dark.wait_answer(set(), timeout=BOUND + 5, name="dark.example.com.")
    d = fail_open
    d.wait_statuses({a: "OFFLINE" for a in ADDRESSES}, timeout=5)
    # ...while the fail-open GSLB publishes every member, and keeps doing so.
    d.wait_answer(set(ADDRESSES), timeout=3)
    for _ in range(20):
        assert d.answer() == set(ADDRESSES)
        assert dark.answer("dark.example.com.") == set()
        time.sleep(0.1)
    gslb = d.api.get(f"/v1/gslbs/{d.gslb['id']}")
    assert sorted(gslb["answers"]) == ADDRESSES and gslb["fqdn"] == FQDN
