"""Appliances that serve later (Designate), refuse for good, or cap answers: the
engine's statuses say what the appliance actually did."""
from __future__ import annotations

from dataclasses import replace

from kosmos.appliances.base import FAILED, PENDING
from kosmos.errors import ApplianceRefused

from .test_faults_and_reconcile import A1, A2, FQDN, ZONE, online, reconcile


def _decide(engine, clock, ids=("g1",)):
    cause = {"op": "gslb.update", "resource": "gslb", "resource_id": "g1",
             "at": clock().isoformat()}
    return engine.handle("kosmos.engine.decide", {"gslb_ids": list(ids), "cause": cause})


def _status(gw, gid="g1"):
    return gw.gslbs[gid].publish_status.value


def _later(app, state=PENDING, detail="A record set is PENDING in Designate"):
    """The appliance accepts pushes but reads back ``state`` until told otherwise."""
    app.confirms_later = True
    app.read_state = [state, detail]
    plain = app.get_answer

    def get_answer(fqdn, zone):
        served = plain(fqdn, zone)
        return replace(served, state=app.read_state[0], detail=app.read_state[1])
    app.get_answer = get_answer


def test_a_push_is_pending_until_read_back_served_then_synced(world):
    gw, clock, engine, app = world
    _later(app)
    online(engine, clock)
    assert _status(gw) == "PENDING" and "waiting for its name servers" in gw.gslbs["g1"].publish_reason
    pushed_at = gw.gslbs["g1"].published_at
    clock.advance(2)
    engine.confirmer._next = 0                                        # the rate limit has passed
    _decide(engine, clock, ["g1"])     # confirmation pass runs after
    assert _status(gw) == "PENDING" and "PENDING in Designate" in gw.gslbs["g1"].publish_reason
    app.read_state = ["served", ""]
    engine.confirmer._next = 0                                        # the rate limit has passed
    clock.advance(2)
    out = _decide(engine, clock)
    assert out["confirmed"] == ["g1"] and _status(gw) == "SYNCED"
    assert gw.gslbs["g1"].published_at == pushed_at                   # not pushed again meanwhile


def test_the_appliance_failing_to_serve_is_an_error_not_synced(world):
    gw, clock, engine, app = world
    _later(app, FAILED, "A record set is ERROR in Designate")
    online(engine, clock)
    assert reconcile(engine)
    assert _status(gw) == "ERROR" and "ERROR in Designate" in gw.gslbs["g1"].publish_reason


def test_confirmation_passes_are_rate_limited(world):
    gw, clock, engine, app = world
    _later(app)
    online(engine, clock)
    engine.confirmer._next = 0
    before = gw.calls.count("gslb.unconfirmed")
    for _ in range(5):
        _decide(engine, clock)
    assert gw.calls.count("gslb.unconfirmed") - before == 1


def test_a_refused_answer_is_not_sent_again_until_it_changes(world):
    gw, clock, engine, app = world
    sent = []
    plain = app.set_answer

    def refuse(fqdn, zone, addresses, ttl):
        sent.append(list(addresses))
        if len(addresses) > 1:
            raise ApplianceRefused("Designate refused (HTTP 413): quota of records exceeded")
        plain(fqdn, zone, addresses, ttl)
    app.set_answer = refuse
    online(engine, clock)
    assert _status(gw) == "ERROR" and gw.gslbs["g1"].publish_reason.startswith("refused:")
    n = len(sent)
    reconcile(engine)
    reconcile(engine)
    assert len(sent) == n                          # the same answer is not pushed again
    app.max_answers = 1                            # an answer that fits goes through
    reconcile(engine)
    assert _status(gw) == "SYNCED" and app.get_answer(FQDN, ZONE).addresses == [A1]
    assert "limit of 1 addresses" in gw.gslbs["g1"].answer_reason
    assert A2 not in gw.gslbs["g1"].answers
