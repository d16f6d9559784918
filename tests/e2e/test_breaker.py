"""The circuit breaker through the runner: real outages fail over, checker trouble is held.

Three regions, monitors at delay 2 s, fall 2. Bounds carry a few seconds of
slack over the rule (delay × max_retries_down + 2 s) so that a busy machine
does not fail them; the figures are printed.
"""
from __future__ import annotations

import time

import pytest
from fixtures.receiver import Receiver

from kosmos_local.harness import ADDRESSES, Api, Endpoint, common_free_port, wait_for

pytestmark = pytest.mark.e2e

REGIONS = ["RegionOne", "RegionTwo", "RegionThree"]
DELAY, FALL, RISE = 2, 2, 2
SLACK = 4.0


def _monitor(api: Api) -> str:
    return api.post("/v1/monitors", {"name": "web", "type": "HTTP", "delay": DELAY, "timeout": 1.5,
                                     "max_retries": RISE, "max_retries_down": FALL})["id"]


def _gslbs(api: Api, ids: list[str]) -> list[dict]:
    return [g for g in api.get("/v1/gslbs?limit=1000")["gslbs"] if g["id"] in ids]


def _held_entries(api: Api, gslb_id: str) -> list[dict]:
    return [e for e in api.get(f"/v1/gslbs/{gslb_id}/history?limit=100")["history"]
            if e["to"] == "HELD"]


def test_one_dying_address_behind_sixty_gslbs_fails_over_nothing_held(start_runner, endpoints):
    runner = start_runner(regions=REGIONS)
    api = Api(runner.url)
    port = endpoints[ADDRESSES[0]].port
    pair = ADDRESSES[:2]
    ids = []
    for i in range(60):
        pool = api.post("/v1/pools", {"name": f"p{i}", "monitor_ids": [_monitor(api)]})
        for a in pair:
            api.post(f"/v1/pools/{pool['id']}/pool_members", {"address": a, "port": port})
        ids.append(api.post("/v1/gslbs", {"fqdn": f"pair{i}.example.com.", "zone_name": "example.com.",
                                          "ttl": 5, "pools": [{"pool_id": pool["id"], "priority": 1}]})["id"])
    wait_for(lambda: all(sorted(g["answers"]) == pair and g["operating_status"] == "ONLINE"
                         for g in _gslbs(api, ids)), 60, interval=0.5)

    t0 = time.monotonic()
    endpoints[pair[1]].stop()
    try:
        wait_for(lambda: all(g["answers"] == pair[:1] for g in _gslbs(api, ids)),
                 DELAY * FALL + 2 + SLACK + 10, interval=0.2)
    except TimeoutError:
        gs = _gslbs(api, ids)
        raise AssertionError(f"{sum(g['answers'] != pair[:1] for g in gs)} of 60 answers unchanged; "
                             f"publish statuses {sorted({g['publish_status'] for g in gs})}\n"
                             f"{runner.log_tail(40)}") from None
    took = time.monotonic() - t0
    print(f"one address behind 60 GSLBs: every answer changed {took:.1f}s after its death")
    assert took < DELAY * FALL + 2 + SLACK
    assert {g["publish_status"] for g in _gslbs(api, ids)} == {"SYNCED"}
    assert not _held_entries(api, ids[0])


def test_one_checker_region_failing_everything_removes_and_holds_nothing(start_runner, endpoints):
    runner = start_runner(regions=REGIONS)
    api = Api(runner.url)
    port = endpoints[ADDRESSES[0]].port
    pool = api.post("/v1/pools", {"name": "p", "monitor_ids": [_monitor(api)]})
    for a in ADDRESSES:
        api.post(f"/v1/pools/{pool['id']}/pool_members", {"address": a, "port": port})
    g = api.post("/v1/gslbs", {"fqdn": "www.example.com.", "zone_name": "example.com.", "ttl": 5,
                               "pools": [{"pool_id": pool["id"], "priority": 1}]})
    wait_for(lambda: sorted(api.get(f"/v1/gslbs/{g['id']}")["answers"]) == ADDRESSES, 30)
    api.region("RegionOne", "fail")
    time.sleep(DELAY * FALL * 2 + 1)
    now = api.get(f"/v1/gslbs/{g['id']}")
    assert sorted(now["answers"]) == ADDRESSES and now["publish_status"] == "SYNCED"
    members = api.get(f"/v1/pools/{pool['id']}/pool_members")["pool_members"]
    assert {m["operating_status"] for m in members} == {"ONLINE"}
    assert not _held_entries(api, g["id"])


def test_every_region_failing_most_endpoints_is_held_then_released(start_runner, endpoints):
    runner = start_runner(regions=REGIONS)
    api = Api(runner.url)
    receiver = Receiver().start()
    api.post("/v1/webhooks", {"url": receiver.url, "secret": "breaker-hold-secret",
                              "events": ["gslb.breaker.held"]})
    # 12 distinct endpoints: three addresses (three sites, by member region) on four ports
    ports = [endpoints[ADDRESSES[0]].port]
    extra = []
    while len(ports) < 4:
        p = common_free_port(ADDRESSES)
        extra += [Endpoint(a, p).start() for a in ADDRESSES]
        ports.append(p)
    try:
        ids = {}
        for site, address in zip(("east", "west", "north"), ADDRESSES):
            pool = api.post("/v1/pools", {"name": site, "monitor_ids": [_monitor(api)]})
            for p in ports:
                api.post(f"/v1/pools/{pool['id']}/pool_members",
                         {"address": address, "port": p, "region": site})
            ids[address] = api.post("/v1/gslbs", {
                "fqdn": f"{site}.example.com.", "zone_name": "example.com.", "ttl": 5,
                "all_down": "NONE", "pools": [{"pool_id": pool["id"], "priority": 1}]})["id"]
        served = lambda: {a: api.get(f"/v1/gslbs/{i}") for a, i in ids.items()}  # noqa: E731
        wait_for(lambda: all(g["answers"] == [a] and g["operating_status"] == "ONLINE"
                             for a, g in served().items()), 30, interval=0.3)

        for r in REGIONS:   # a broken probe rollout everywhere at once
            api.region(r, "fail")
        try:
            wait_for(lambda: all(g["publish_status"] == "HELD" for g in served().values()),
                     DELAY * FALL + 2 + SLACK + 10, interval=0.2)
        except TimeoutError:
            raise AssertionError(f"not held: {served()}\n{runner.log_tail(40)}") from None
        for a, g in served().items():
            assert g["answers"] == [a], "a held GSLB keeps serving"
            [entry] = _held_entries(api, g["id"])   # one entry, however the count moves
            assert "circuit breaker" in entry["reason"] and "across 3 sites" in entry["reason"]
            # the 12 endpoints go down over a few cycles (regions probe out of phase): the
            # first cycle whose endpoints down or failing in enough regions to follow reach
            # the minimum (10 of 12, over half) trips the breaker and records its own count
            breaker = entry["evidence"]["breaker"]
            assert 10 <= breaker["endpoints_down"] + breaker["endpoints_suspect"] <= 12
            assert breaker["endpoints_monitored"] == 12
            status = api.get(f"/v1/gslbs/{g['id']}/status")
            assert status["publish_status"] == "HELD"
        # the hold is announced: one gslb.breaker.held per GSLB, with the evidence
        wait_for(lambda: len(receiver.delivered("gslb.breaker.held")) == 3, 30, interval=0.2)
        for event in receiver.delivered("gslb.breaker.held"):
            assert event["subject"] in ids.values()
            assert event["data"]["breaker"]["endpoints_monitored"] == 12

        for r in REGIONS:   # the probes recover: released by itself
            api.region(r, "ok")
        wait_for(lambda: all(g["publish_status"] == "SYNCED" and g["answers"] == [a]
                             for a, g in served().items()), DELAY * RISE + 2 + SLACK + 10,
                 interval=0.2)
    finally:
        receiver.stop()
        for e in extra:
            e.stop()
