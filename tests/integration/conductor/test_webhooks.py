"""Webhooks in the conductor: CRUD, the outbox filled in the change's transaction,
claiming due deliveries and recording outcomes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fixtures.conductor import P2, SYSTEM, entry

from kosmos.errors import NotFound, StaleVersion, ValidationError

URL = "https://hooks.example.com/kosmos"
SECRET = "s3cret-s3cret-s3cret"


def hook(build, **values):
    return build.call("webhook.create", {"values": {"url": URL, "secret": SECRET, **values}})


def due(build, **args):
    return build.call("webhook.deliveries.due", args, SYSTEM)


def test_crud_keeps_the_secret_write_only(build):
    w = hook(build, name="ops", events=["gslb.answer.changed"])
    assert "secret" not in w and w["events"] == ["gslb.answer.changed"] and w["version"] == 1
    assert build.call("webhook.get", {"id": w["id"]}) == w
    assert [x["id"] for x in build.call("webhook.list", {})["items"]] == [w["id"]]
    with pytest.raises(NotFound):
        build.call("webhook.get", {"id": w["id"]}, P2)        # another project's: not there
    up = build.call("webhook.update", {"id": w["id"], "values": {
        "events": ["member.status.changed", "gslb.breaker.held"], "version": 1}})
    assert up["events"] == ["member.status.changed", "gslb.breaker.held"] and up["version"] == 2
    with pytest.raises(StaleVersion):
        build.call("webhook.update", {"id": w["id"], "values": {"name": "x", "version": 1}})
    build.call("webhook.delete", {"id": w["id"]})
    with pytest.raises(NotFound):
        build.call("webhook.get", {"id": w["id"]})


@pytest.mark.parametrize("values,field", [
    ({"url": "ftp://hooks.example.com/"}, "url"),
    ({"url": "http://user:pw@hooks.example.com/"}, "url"),
    ({"url": "http://169.254.169.254/latest"}, "url"),        # the metadata service: guarded
    ({"url": "http://10.0.0.5/"}, "url"),                     # the cloud's own network
    ({"url": "http://hooks.example.com/\x00"}, "url"),
    ({"secret": "short"}, "secret"),
    ({"events": ["gslb.answer.changed", "gslb.answer.changed"]}, "events"),
    ({"events": ["gslb.exploded"]}, "events"),
    ({"events": []}, "events"),
])
def test_bad_input_names_the_field_and_stores_nothing(build, values, field):
    with pytest.raises(ValidationError) as err:
        hook(build, **values)
    assert field in (err.value.field or "").split("."), err.value
    assert build.call("webhook.list", {})["items"] == []


def test_a_stored_change_owes_one_delivery_per_subscriber_once(build):
    g = build.gslb([])
    answers = hook(build, events=["gslb.answer.changed"])
    members = hook(build, events=["member.status.changed"])
    hook(build, events=["gslb.answer.changed"])
    other = build.call("webhook.create", {"values": {"url": URL, "secret": SECRET}}, P2)
    changed = entry(gslb_id=g["id"], subject_type="gslb", subject_id=g["id"], dedupe_key="c1",
                    evidence={"answers_from": ["192.0.2.1", "192.0.2.2"], "answers_to": ["192.0.2.2"]},
                    **{"from": "192.0.2.1,192.0.2.2", "to": "192.0.2.2"})
    for _ in range(2):                                        # a redelivered event: no new delivery
        build.call("history.append", {"entries": [changed]}, SYSTEM)
    claimed = due(build)["items"]
    assert len(claimed) == 2 and {c["url"] for c in claimed} == {URL}
    assert all(c["secret"] == SECRET and c["attempt"] == 1 for c in claimed)
    event = claimed[0]["body"]
    assert event["specversion"] == "1.0" and event["type"] == "gslb.answer.changed"
    assert event["id"] == claimed[0]["id"] and event["subject"] == g["id"]
    assert event["data"]["answers_to"] == ["192.0.2.2"]
    assert build.call("webhook.deliveries", {"id": members["id"]})["items"] == []
    assert build.call("webhook.deliveries", {"id": other["id"]}, P2)["items"] == []
    assert due(build)["items"] == []                         # claimed: leased, not due again
    listed = build.call("webhook.deliveries", {"id": answers["id"]})["items"]
    assert [(d["status"], d["attempts"]) for d in listed] == [("PENDING", 1)]


def test_outcomes_deliver_retry_with_backoff_and_give_up(build, monkeypatch):
    g = build.gslb([])
    w = hook(build)
    build.call("history.append", {"entries": [entry(gslb_id=g["id"], subject_id="m1",
                                                    dedupe_key="m1")]}, SYSTEM)
    [first] = due(build, lease_s=0.001)["items"]
    out = build.call("webhook.deliveries.report", {"outcomes": [
        {"id": first["id"], "ok": False, "status_code": 503, "error": "HTTP 503"}]}, SYSTEM)
    waiting = datetime.fromisoformat(out["next_due_at"]) - datetime.now(timezone.utc)
    assert timedelta(seconds=0) < waiting <= timedelta(seconds=2)          # the first backoff
    [row] = build.call("webhook.deliveries", {"id": w["id"]})["items"]
    assert (row["status"], row["status_code"], row["error"]) == ("PENDING", 503, "HTTP 503")
    build.call("webhook.deliveries.report", {"outcomes": [{"id": first["id"], "ok": True,
                                                           "status_code": 204}]}, SYSTEM)
    [row] = build.call("webhook.deliveries", {"id": w["id"]})["items"]
    assert row["status"] == "DELIVERED" and row["delivered_at"] and row["error"] is None
    # a late report of an older failed attempt does not undo the delivery
    build.call("webhook.deliveries.report", {"outcomes": [{"id": first["id"], "ok": False}]}, SYSTEM)
    assert build.call("webhook.deliveries", {"id": w["id"]})["items"][0]["status"] == "DELIVERED"


def test_a_failed_publish_is_announced_once_per_failure(build):
    g = build.gslb([])
    w = hook(build, events=["gslb.publish.failed"])
    failed = {"id": g["id"], "answers": [], "answer_reason": "[HEALTHY] ok", "publish_status": "ERROR",
              "publish_reason": "appliance powerdns: unreachable; wants 192.0.2.1"}
    for _ in range(2):   # the same failure stored again is not a new one
        build.call("gslb.set_answers", {"items": [failed]}, SYSTEM)
    [d] = build.call("webhook.deliveries", {"id": w["id"]})["items"]
    assert d["event_type"] == "gslb.publish.failed" and d["subject"] == g["id"]
