"""Ingress routing and the admin API of region simulation."""
from __future__ import annotations

import requests
from werkzeug.test import Client
from werkzeug.wrappers import Response

from kosmos_local.events import Envelope
from kosmos_local.ingress import AdminApp, Ingress, Server
from kosmos_local.queue import EventQueue
from kosmos_local.regions import RegionModes


def api_app(environ, start_response):
    return Response(f"api {environ['PATH_INFO']}")(environ, start_response)


def make(regions=("RegionOne", "RegionTwo")):
    modes = RegionModes(regions)
    q = EventQueue(max_attempts=1)
    return modes, q, Client(Ingress(api_app, AdminApp(modes, q)))


def test_api_paths_go_to_the_api_function():
    _, _, client = make()
    assert client.get("/v1/gslbs").get_data(as_text=True) == "api /v1/gslbs"
    assert client.get("/_runnerx").get_data(as_text=True) == "api /_runnerx"


def test_region_mode_is_set_and_read_back():
    modes, _, client = make()
    r = client.post("/_runner/regions/RegionTwo", json={"mode": "cut"})
    assert r.status_code == 200 and r.json == {"region": "RegionTwo", "mode": "cut", "addresses": None}
    assert modes.get("RegionTwo") == "cut"
    client.post("/_runner/regions/RegionOne", json={"mode": "fail", "addresses": ["127.0.0.3"]})
    assert client.get("/_runner/regions").json == {
        "regions": {"RegionOne": "fail", "RegionTwo": "cut"}, "addresses": {"RegionOne": ["127.0.0.3"]}}


def test_admin_errors_are_json_and_name_the_field():
    _, _, client = make()
    r = client.post("/_runner/regions/RegionOne", json={"mode": "sideways"})
    assert r.status_code == 400 and r.json["error"]["field"] == "mode"
    r = client.post("/_runner/regions/RegionOne", data="nope")
    assert r.status_code == 400
    assert client.post("/_runner/regions/Mars", json={"mode": "ok"}).status_code == 404
    r = client.post("/_runner/regions/RegionOne", json={"mode": "cut", "addresses": ["1.2.3.4"]})
    assert r.status_code == 400 and r.json["error"]["field"] == "addresses"
    r = client.post("/_runner/regions/RegionOne", json={"mode": "fail", "addresses": "1.2.3.4"})
    assert r.status_code == 400 and r.json["error"]["field"] == "addresses"
    assert client.get("/_runner/nothing").status_code == 404


def test_queue_inspection_lists_dead_letters():
    _, q, client = make()
    q.subscribe("s", lambda e: (_ for _ in ()).throw(RuntimeError("x")))
    q.start()
    q.put("s", Envelope(type="kosmos.check.batch", data={}))
    assert q.wait_idle(2)
    q.stop()
    body = client.get("/_runner/queue").json
    (letter,) = body["dead_letters"]
    assert letter["event_type"] == "kosmos.check.batch" and letter["destination"] == "s"
    assert letter["attempts"] == q.max_attempts and letter["received_at"].endswith("Z")
    # the shape GET /v1/dead_letters has
    from kosmos.contracts.dead_letters import StoredDeadLetter
    StoredDeadLetter.model_validate({**{k: v for k, v in letter.items() if k != "attempts"},
                                     "id": "x"})


def test_server_serves_on_a_real_port():
    srv = Server("127.0.0.1", 0, Ingress(api_app, AdminApp(RegionModes(["A"]))), "gw").start()
    try:
        assert requests.get(srv.url + "v1/x", timeout=5).text == "api /v1/x"
    finally:
        srv.stop()


def test_region_mode_accepts_json_without_a_content_type():
    # `curl -d '{"mode":"fail"}'` sends form encoding; the demo relies on it working.
    modes, _, client = make()
    r = client.post("/_runner/regions/RegionOne", data='{"mode": "fail"}',
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 200 and modes.get("RegionOne") == "fail"
