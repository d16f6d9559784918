"""The dead-letter sink on the conductor's HTTP face, and GET /v1/dead_letters, on
SQLite and PostgreSQL: what a broker gives up on is kept once and read back by admins."""
from __future__ import annotations

import base64
import json

import pytest
from flask import Flask
from werkzeug.test import Client
from werkzeug.wrappers import Request

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth
from kosmos.conductor import http as conductor_http
from kosmos.conductor.ops import dead_letters as ops
from kosmos.config import Settings

ADMIN = {"X-Project-Id": "admin-project", "X-Roles": "admin"}
MEMBER = {"X-Project-Id": "p1", "X-Roles": "member"}

RESULTS = {"region": "RegionOne", "checker_id": "c1", "results": []}


def binary(event_id: str = "ev-1", **extra: str) -> dict[str, str]:
    return {"ce-specversion": "1.0", "ce-id": event_id, "ce-type": "kosmos.check.results",
            "ce-source": "//kosmos/checker/RegionOne", "ce-subject": "RegionOne",
            "ce-time": "2026-12-02T10:00:00Z",
            "ce-knativeerrordest": "http://kosmos-engine.gslb.svc.cluster.local",
            "ce-knativeerrorcode": "503",
            "ce-knativeerrordata": base64.b64encode(b"engine unavailable: retry").decode(),
            "Content-Type": "application/json", **extra}


@pytest.fixture
def sink(conductor_handler):
    """POST to the conductor's HTTP face as the broker's dead-letter delivery does."""
    app = Flask("conductor")
    settings = Settings(conductor_token="a-token-brokers-cannot-send")

    def post(headers: dict[str, str], body: bytes | str):
        with app.test_request_context("/v1/dead_letters", method="POST", headers=headers,
                                      data=body):
            from flask import request
            resp = conductor_http.respond(request, conductor_handler, settings)
            return resp.status_code, json.loads(resp.get_data())
    return post


@pytest.fixture
def api(conductor_handler):
    app = ApiApp(ConductorClient(InProcessTransport(conductor_handler)), NoAuth())
    return Client(lambda environ, start: app(Request(environ))(environ, start))


def test_a_dead_letter_is_kept_once_and_read_back_by_an_admin(sink, api):
    assert sink(binary(), json.dumps(RESULTS)) == (200, {"result": {"recorded": 1}})
    assert sink(binary(), json.dumps(RESULTS)) == (200, {"result": {"recorded": 0}})  # redelivered
    resp = api.get("/v1/dead_letters", headers=ADMIN)
    assert resp.status_code == 200
    (letter,) = resp.get_json()["dead_letters"]
    assert letter["event_id"] == "ev-1" and letter["event_type"] == "kosmos.check.results"
    assert letter["destination"] == "http://kosmos-engine.gslb.svc.cluster.local"
    assert letter["error_code"] == 503 and letter["error"] == "engine unavailable: retry"
    assert letter["data"] == RESULTS and letter["received_at"].endswith("Z")
    assert api.get("/v1/dead_letters", headers=MEMBER).status_code == 403


def test_structured_mode_and_data_too_large_to_keep(sink, api):
    event = {"specversion": "1.0", "id": "ev-2", "type": "kosmos.check.batch",
             "source": "//kosmos/checker", "knativeerrorcode": "504",
             "data": {"checks": ["x" * 1000] * 100}}
    status, _ = sink({"Content-Type": "application/cloudevents+json"}, json.dumps(event))
    assert status == 200
    (letter,) = api.get("/v1/dead_letters?limit=1", headers=ADMIN).get_json()["dead_letters"]
    assert letter["event_type"] == "kosmos.check.batch" and letter["error_code"] == 504
    assert letter["data"]["cut"] is True and letter["data"]["bytes"] > 64 * 1024


@pytest.mark.parametrize("headers,body,field", [
    ({"ce-id": "x", "ce-source": "s", "Content-Type": "application/json"}, "{}", "event_type"),
    ({**binary(), "ce-knativeerrorcode": "abc"}, "{}", "knativeerrorcode"),
    (binary(), "{not json", "body"),
    ({"Content-Type": "application/cloudevents+json"}, "[1]", "body"),
    ({**binary(), "ce-subject": "a\x00b"}, "{}", "subject"),
])
def test_bad_dead_letters_are_refused_naming_the_field_and_store_nothing(sink, api, headers,
                                                                        body, field):
    status, out = sink(headers, body)
    assert status == 400 and field in json.dumps(out)
    assert api.get("/v1/dead_letters", headers=ADMIN).get_json()["dead_letters"] == []


def test_only_the_newest_are_kept(sink, api, monkeypatch):
    monkeypatch.setattr(ops, "KEEP", 3)
    for i in range(5):
        assert sink(binary(f"ev-{i}"), "{}")[0] == 200
    letters = api.get("/v1/dead_letters", headers=ADMIN).get_json()["dead_letters"]
    assert [x["event_id"] for x in letters] == ["ev-4", "ev-3", "ev-2"]
