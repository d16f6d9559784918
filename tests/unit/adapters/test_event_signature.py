"""Event signatures: the canonical body and checking a signature on the bytes received."""
from __future__ import annotations

import json

import pytest

from kosmos.adapters import event_signature as sig
from kosmos.adapters.emitter import InMemoryEmitter, body_of
from kosmos.contracts.events import CHECK_TICK

KEY = "k" * 40
DATA = {"region": "Région-Ω", "results": [{"z": 1, "a": [True, None, 1.5]}], "b": {"y": "x"}}


def test_a_signature_on_the_canonical_body_is_the_signature_on_the_data():
    body = sig.canonical_body(DATA)
    assert json.loads(body) == DATA and body.index(b'"b"') < body.index(b'"region"')
    assert (sig.body_signature(KEY, "t", "i", "//s", body)
            == sig.signature(KEY, "t", "i", "//s", DATA))


def test_the_body_as_received_is_checked_without_writing_the_data_again(monkeypatch):
    body = sig.canonical_body(DATA)
    sent = sig.body_signature(KEY, "t", "i", "//s", body)
    monkeypatch.setattr(sig, "signature", lambda *a: pytest.fail("data written again"))
    assert sig.holds(KEY, "t", "i", "//s", DATA, sent, body)


def test_a_body_a_broker_wrote_again_is_checked_on_its_data():
    sent = sig.signature(KEY, "t", "i", "//s", DATA)
    rewritten = json.dumps(DATA, indent=2).encode()
    assert sig.holds(KEY, "t", "i", "//s", json.loads(rewritten), sent, rewritten)


@pytest.mark.parametrize("key,etype,eid,source,data", [
    (KEY, "t", "i", "//s", {**DATA, "region": "other"}),   # another body
    (KEY, "t2", "i", "//s", DATA), (KEY, "t", "i2", "//s", DATA), (KEY, "t", "i", "//s2", DATA),
    ("x" * 40, "t", "i", "//s", DATA)])
def test_a_changed_body_or_attribute_does_not_hold(key, etype, eid, source, data):
    sent = sig.body_signature(KEY, "t", "i", "//s", sig.canonical_body(DATA))
    assert not sig.holds(key, etype, eid, source, data, sent, sig.canonical_body(data))


def test_a_signed_event_is_sent_as_the_canonical_body_its_signature_covers():
    bus = InMemoryEmitter(signing_key=KEY)
    ev = bus.emit(CHECK_TICK, {"region": "R1", "scheduled_at": "2030-01-01T00:00:00Z"},
                  event_id="e1")
    assert body_of(ev) == sig.canonical_body(ev.data)
    assert sig.body_signature(KEY, CHECK_TICK, "e1", ev.source, body_of(ev)) == ev.signature
    unsigned = InMemoryEmitter().emit(CHECK_TICK, {"region": "R1",
                                                   "scheduled_at": "2030-01-01T00:00:00Z"})
    assert unsigned.signature is None and json.loads(body_of(unsigned)) == unsigned.data
