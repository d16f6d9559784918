"""A database that is down: a clear, retryable Unavailable; nothing half-written."""
from __future__ import annotations

import socket

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.conductor.app import build_handler
from kosmos.config import Settings
from kosmos.contracts.conductor import CallContext
from kosmos.errors import Unavailable

CTX = CallContext(project_id="p").model_dump(mode="json")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def _call(handler, op="monitor.list", args=None):
    return handler({"schema_version": 1, "op": op, "context": CTX, "args": args or {}})


def test_postgres_unreachable_is_unavailable_and_retryable():
    url = f"postgresql+pg8000://postgres@127.0.0.1:{_closed_port()}/kosmos"
    handler = build_handler(url, settings=Settings())
    try:
        status, body = _call(handler)
        assert status == 503
        assert body["error"]["type"] == "Unavailable" and body["error"]["retry_after"] > 0
        assert "database is unavailable" in body["error"]["message"]
        port = url.split(":")[-1].split("/")[0]
        assert port not in body["error"]["message"] and "127.0.0.1" not in body["error"]["message"]
        client = ConductorClient(InProcessTransport(handler))
        try:
            client.call("monitor.create", {"values": {"type": "TCP"}}, CallContext(project_id="p"))
        except Unavailable as exc:
            assert exc.retryable
        else:
            raise AssertionError("expected Unavailable")
    finally:
        handler.database.dispose()


def test_sqlite_unreachable_then_back(tmp_path):
    where = tmp_path / "not-yet"
    handler = build_handler(f"sqlite:///{where / 'k.sqlite3'}", settings=Settings())
    try:
        status, body = _call(handler, "monitor.create", {"values": {"type": "TCP"}})
        assert (status, body["error"]["type"]) == (503, "Unavailable")
        where.mkdir()  # the volume is back: the same warm instance recovers, migrating first
        status, body = _call(handler, "monitor.create", {"values": {"type": "TCP"}})
        assert status == 200, body
        status, body = _call(handler)
        assert [m["type"] for m in body["result"]["items"]] == ["TCP"]
    finally:
        handler.database.dispose()


def test_lost_connection_midway_rolls_back_the_bulk_write(conductor_handler, build):
    """The database drops the transaction halfway through a bulk write: nothing stays."""
    from fixtures.conductor import SYSTEM, state
    from sqlalchemy import event

    m = build.monitor()
    p = build.pool([m])
    members = [build.member(p) for _ in range(3)]
    engine = conductor_handler.database.engine
    seen = {"n": 0}

    def fail_on_member_update(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE POOL_MEMBERS"):
            seen["n"] += 1
            # what the driver raises when the server goes away mid-transaction
            raise engine.dialect.dbapi.InterfaceError("network error (injected)")

    event.listen(engine, "before_cursor_execute", fail_on_member_update)
    try:
        status, body = conductor_handler({
            "schema_version": 1, "op": "health.write",
            "context": SYSTEM.model_dump(mode="json"),
            "args": {"states": [{"state": state(mb, m["id"])} for mb in members],
                     "members": [{"member_id": members[0]["id"], "operating_status": "ONLINE",
                                  "status_reason": "up"}]}})
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_member_update)
    assert seen["n"] == 1
    assert (status, body["error"]["type"]) == (503, "Unavailable")
    ctx = build.call("engine.context", {"member_ids": [x["id"] for x in members]}, SYSTEM)
    assert ctx["states"] == []
    assert all(x["operating_status"] == "NO_MONITOR" for x in ctx["members"])
