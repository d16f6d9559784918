"""The dispatcher's envelope checks and error mapping (on a real SQLite conductor)."""
from __future__ import annotations

import logging

import pytest

from kosmos.conductor.ops.common import OPS
from kosmos.contracts.conductor import CallContext


def _env(**over):
    return {"schema_version": 1, "op": "monitor.list",
            "context": CallContext(project_id="p").model_dump(mode="json"), "args": {}, **over}


@pytest.mark.parametrize("envelope,field", [
    (_env(op="nope.none"), "op"),
    (_env(op=""), "op"),
    (_env(schema_version=2), "schema_version"),
    (_env(args=[1]), "args"),
    (_env(extra=1), "extra"),
    (_env(context={"project_id": "p", "bogus": True}), "context.bogus"),
    (_env(args={"limit": "many"}), "limit"),
    ([1, 2], "body"),
])
def test_bad_envelopes_are_400_naming_the_field(sqlite_conductor_handler, envelope, field):
    status, body = sqlite_conductor_handler(envelope)
    assert status == 400
    assert body["error"]["type"] == "ValidationError" and body["error"]["field"] == field


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_an_unexpected_failure_is_a_bare_500_and_logged(sqlite_conductor_handler, monkeypatch):
    def boom(ctx, args):
        raise RuntimeError("secret detail")
    monkeypatch.setitem(OPS, "monitor.list", (OPS["monitor.list"][0], boom))
    seen = _Records()
    logger = logging.getLogger("kosmos.conductor")
    logger.addHandler(seen)
    try:
        status, body = sqlite_conductor_handler(_env())
    finally:
        logger.removeHandler(seen)
    assert status == 500 and "secret" not in str(body)
    assert body["error"]["type"] == "KosmosError"
    assert any(r.exc_info and "secret detail" in str(r.exc_info[1]) for r in seen.records)


def test_result_envelope(sqlite_conductor):
    assert sqlite_conductor.call("monitor.list", {}, CallContext(project_id="p")) == {
        "items": [], "next_marker": None}
