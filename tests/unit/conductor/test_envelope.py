"""The dispatcher's envelope checks and error mapping (on a real SQLite conductor)."""
from __future__ import annotations

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


def test_an_unexpected_failure_is_a_bare_500(sqlite_conductor_handler, monkeypatch, caplog):
    def boom(ctx, args):
        raise RuntimeError("secret detail")
    monkeypatch.setitem(OPS, "monitor.list", boom)
    status, body = sqlite_conductor_handler(_env())
    assert status == 500 and "secret" not in str(body)
    assert body["error"]["type"] == "KosmosError"
    assert any("secret detail" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_result_envelope(sqlite_conductor):
    assert sqlite_conductor.call("monitor.list", {}, CallContext(project_id="p")) == {
        "items": [], "next_marker": None}
