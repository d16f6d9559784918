"""Webhooks through the runner: a real receiver that fails, restarts, and still gets
every event at least once, signed, with the same id on every attempt."""
from __future__ import annotations

import hashlib
import hmac

import pytest
from fixtures.receiver import Receiver

from kosmos_local.harness import ADDRESSES, Api, deploy, wait_for

pytestmark = pytest.mark.e2e

SECRET = "a-shared-secret-of-the-receiver"


def _signed(r) -> bool:
    want = "sha256=" + hmac.new(SECRET.encode(), r.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(r.headers.get("X-Kosmos-Signature", ""), want)


def test_failover_is_announced_at_least_once_through_failures_and_a_restart(start_runner, endpoints):
    receiver = Receiver(fail_first=2).start()
    try:
        runner = start_runner()
        api = Api(runner.url)
        hook = api.post("/v1/webhooks", {"url": receiver.url, "secret": SECRET,
                                         "events": ["gslb.answer.changed", "member.status.changed"]})
        assert "secret" not in hook
        port = endpoints[ADDRESSES[0]].port
        d = deploy(runner, port, api=api)
        d.wait_answer(set(ADDRESSES), 30)
        wait_for(lambda: receiver.delivered("gslb.answer.changed"), 40, interval=0.2)

        receiver.stop()                       # the receiver restarts while the endpoint dies
        dead = ADDRESSES[0]
        endpoints[dead].stop()
        d.wait_answer(set(ADDRESSES[1:]), 30)
        receiver.start()

        def failover_announced() -> bool:
            moved = [e for e in receiver.delivered("member.status.changed")
                     if e["data"]["to"] == "OFFLINE"]
            answered = [e for e in receiver.delivered("gslb.answer.changed")
                        if e["data"].get("answers_to") == sorted(ADDRESSES[1:])]
            return bool(moved and answered)
        wait_for(failover_announced, 60, interval=0.3)
        retried = {r.event["id"] for r in receiver.requests[:2]}
        # failed attempts are retried (after a backoff that grows: 2 s, 6 s, 18 s ...)
        wait_for(lambda: retried <= {e["id"] for e in receiver.delivered()}, 60, interval=0.3)

        assert all(_signed(r) for r in receiver.requests)
        assert [r.status for r in receiver.requests[:2]] == [503, 503]
        by_id: dict[str, set[bytes]] = {}
        for r in receiver.requests:
            by_id.setdefault(r.event["id"], set()).add(r.body)
        assert all(len(bodies) == 1 for bodies in by_id.values()), "a retry is the same event"
        event = receiver.delivered("member.status.changed")[-1]
        assert event["specversion"] == "1.0" and event["subject"] == d.gslb["id"]
        assert receiver.requests[0].headers["Content-Type"] == "application/cloudevents+json"

        deliveries = api.get(f"/v1/webhooks/{hook['id']}/deliveries")["deliveries"]
        assert {x["id"] for x in deliveries} >= set(by_id)
        first = [x for x in deliveries if x["id"] in retried]
        assert all(x["status"] == "DELIVERED" and x["attempts"] >= 2 for x in first)
    finally:
        receiver.stop()


def test_a_webhook_url_the_guard_refuses_is_a_400_naming_the_field(start_runner):
    api = Api(start_runner().url)
    err = api.call("POST", "/v1/webhooks", {"url": "http://169.254.169.254/latest/meta-data",
                                            "secret": SECRET}, expect=400)["error"]
    assert "url" in err.get("field", "") and "link-local" in err["message"]
    assert api.get("/v1/webhooks")["webhooks"] == []
