"""The conductor function over HTTP, loaded as the FaaS loads it."""
from __future__ import annotations

from pathlib import Path

import pytest
from functions_framework import create_app

from kosmos.conductor import http as conductor_http
from kosmos.config import reset_settings

SOURCE = Path(__file__).resolve().parents[3] / "functions" / "conductor" / "main.py"


@pytest.fixture
def client(monkeypatch, tmp_path):
    monkeypatch.setenv("KOSMOS_DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite3'}")
    monkeypatch.setenv("KOSMOS_CONDUCTOR_TOKEN", "s3cret")
    reset_settings()
    conductor_http.INSTANCE.use(None)
    app = create_app("kosmos_conductor", str(SOURCE), "http")
    yield app.test_client()
    if conductor_http.INSTANCE.held is not None:
        conductor_http.INSTANCE.held.database.dispose()
        conductor_http.INSTANCE.use(None)
    reset_settings()


def _call(client, op, args, token="s3cret", project="p1"):
    return client.post("/v1/call", json={"schema_version": 1, "op": op,
                                         "context": {"project_id": project}, "args": args},
                       headers={"X-Kosmos-Conductor-Token": token} if token else {})


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_call_creates_and_reads_back(client):
    created = _call(client, "monitor.create", {"values": {"type": "TCP", "delay": 7}})
    assert created.status_code == 200, created.get_json()
    mid = created.get_json()["result"]["id"]
    got = _call(client, "monitor.get", {"id": mid}).get_json()["result"]
    assert (got["type"], got["delay"], got["timeout"]) == ("TCP", 7, 3.5)


def test_wrong_or_missing_token_is_401(client):
    for token in ("nope", None):
        resp = _call(client, "monitor.list", {}, token=token)
        assert resp.status_code == 401
        assert resp.get_json()["error"]["type"] == "NotAuthenticated"


def test_errors_cross_as_typed_bodies(client):
    resp = _call(client, "monitor.get", {"id": "00000000-0000-0000-0000-000000000000"})
    assert resp.status_code == 404 and resp.get_json()["error"]["type"] == "NotFound"
    resp = _call(client, "no.such.op", {})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "op"
    resp = client.post("/v1/call", data="not json", content_type="text/plain",
                       headers={"X-Kosmos-Conductor-Token": "s3cret"})
    assert resp.status_code == 415
    resp = client.get("/v1/call", headers={"X-Kosmos-Conductor-Token": "s3cret"})
    assert resp.status_code == 404


def test_replies_are_compact_utf8_json(client):
    """Bodies are written compactly in UTF-8 (not Flask's key-sorted ASCII escapes), and a
    non-ASCII value reads back unchanged."""
    created = _call(client, "monitor.create", {"values": {"type": "HTTP", "delay": 7,
                                                         "receive_string": "grüß"}})
    assert created.status_code == 200, created.get_json()
    raw = created.get_data()
    assert "grüß".encode() in raw and b'\\u00fc' not in raw and b'": ' not in raw
    assert created.get_json()["result"]["receive_string"] == "grüß"
