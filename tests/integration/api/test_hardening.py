"""Findings of the outside attack run, each refused with a 400 naming the field, on both
databases, and nothing stored by the refused request."""
from __future__ import annotations

import pytest

from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth

H = {"X-Project-Id": "p1"}


@pytest.fixture
def client(conductor, function_app):
    return function_app(ApiApp(conductor, NoAuth())).test_client()


def _refused(r, field: str) -> dict:
    assert r.status_code == 400, (r.status_code, r.get_data(as_text=True))
    err = r.get_json()["error"]
    assert err["type"] == "ValidationError" and field in (err.get("field") or "") + err["message"]
    assert "Traceback" not in r.get_data(as_text=True)
    return err


def _pool(client) -> dict:
    mon = client.post("/v1/monitors", json={"type": "TCP"}, headers=H).get_json()
    return client.post("/v1/pools", json={"monitor_ids": [mon["id"]]}, headers=H).get_json()


@pytest.mark.parametrize("path,body,field", [
    ("/v1/monitors", {"type": "TCP", "name": "a\x00b"}, "name"),
    ("/v1/pools", {"description": "x\x00"}, "description"),
    ("/v1/monitors", {"type": "HTTP", "headers": {"X-A": "v\x00"}}, "headers"),
])
def test_nul_bytes_are_a_400_on_every_database(client, path, body, field):
    _refused(client.post(path, json=body, headers=H), field)
    assert client.get(path, headers=H).get_json()[path.rsplit("/", 1)[1]] == []


def test_nul_in_a_filter_or_a_path_is_a_400(client):
    _refused(client.get("/v1/monitors?name=a%00b", headers=H), "name")
    r = client.get("/v1/monitors/a%00b", headers=H)   # no such id can exist: a JSON 404
    assert r.status_code == 404 and r.get_json()["error"]["type"] == "NotFound"


@pytest.mark.parametrize("body,field", [
    ({"type": "HTTP", "payload": {"content_type": "text/plain\r\nX-Smuggled: 1", "content": "x"}},
     "content_type"),
    ({"type": "HTTP", "payload": {"content_type": "text/plain\x0b", "content": "x"}}, "content_type"),
    ({"type": "HTTP", "headers": {"X-A": "a\x0cb"}}, "headers"),
    ({"type": "HTTP", "headers": {"X-A": "a\u0085b"}}, "headers"),
    ({"type": "HTTP", "headers": {"X-A": "a\rb"}}, "headers"),
    ({"type": "HTTP", "url_path": "/ok\u00e9"}, "url_path"),
    ({"type": "HTTP", "delay": True}, "delay"),
    ({"type": "HTTP", "delay": "5"}, "delay"),
    ({"type": "HTTP", "timeout": "1"}, "timeout"),
    ({"type": "HTTP", "insecure": "yes"}, "insecure"),
    ({"type": "NOPE"}, "type"),
])
def test_monitor_input_that_would_reach_the_wire_unchecked_is_refused(client, body, field):
    err = _refused(client.post("/v1/monitors", json=body, headers=H), field)
    if body.get("type") == "NOPE":
        assert "installed" in err["message"] and "HTTP" in err["message"]


def test_an_update_cannot_smuggle_what_a_create_may_not(client):
    mon = client.post("/v1/monitors", json={"type": "HTTP"}, headers=H).get_json()
    _refused(client.put(f"/v1/monitors/{mon['id']}", json={"headers": {"X": "a\nb"}}, headers=H),
             "headers")
    assert client.get(f"/v1/monitors/{mon['id']}", headers=H).get_json()["headers"] == {}


@pytest.mark.parametrize("address", ["fe80::1%lo", "0.0.0.0", "::", "224.0.0.1", "ff02::1",
                                     "255.255.255.255"])
def test_addresses_dns_cannot_serve_are_refused(client, address):
    pool = _pool(client)
    _refused(client.post(f"/v1/pools/{pool['id']}/pool_members", json={"address": address},
                         headers=H), "address")
    assert client.get(f"/v1/pools/{pool['id']}/pool_members", headers=H).get_json()["pool_members"] == []


def test_member_numbers_and_flags_are_strict(client):
    pool = _pool(client)
    url = f"/v1/pools/{pool['id']}/pool_members"
    _refused(client.post(url, json={"address": "192.0.2.1", "port": "80"}, headers=H), "port")
    _refused(client.post(url, json={"address": "192.0.2.1", "weight": 1.5}, headers=H), "weight")
    _refused(client.post(url, json={"address": "192.0.2.1", "admin_state_up": 1}, headers=H),
             "admin_state_up")


def test_an_appliance_that_is_not_installed_is_refused(client):
    pool = _pool(client)
    body = {"fqdn": "a.example.com.", "zone_name": "example.com.", "appliance": "bind9",
            "pools": [{"pool_id": pool["id"], "priority": 1}]}
    err = _refused(client.post("/v1/gslbs", json=body, headers=H), "appliance")
    assert "designate" in err["message"]
    body["appliance"] = "powerdns"
    assert client.post("/v1/gslbs", json=body, headers=H).status_code == 201


def test_a_check_plugin_validates_its_own_options(client):
    _refused(client.post("/v1/monitors", json={"type": "DNS"}, headers=H), "options.query_name")
    _refused(client.post("/v1/monitors", json={"type": "DNS", "options": {
        "query_name": "a.example.com.", "query_type": "BOGUS"}}, headers=H), "options.query_type")
    _refused(client.post("/v1/monitors", json={"type": "TCP", "options": {"x": 1}}, headers=H),
             "options")
    mon = client.post("/v1/monitors", json={"type": "DNS", "port": 53, "options": {
        "query_name": "Health.Example.com.", "expected_answers": ["2001:DB8::1"]}}, headers=H)
    assert mon.status_code == 201, mon.get_json()
    opts = mon.get_json()["options"]
    assert opts["query_name"] == "health.example.com." and opts["expected_answers"] == ["2001:db8::1"]
    _refused(client.put(f"/v1/monitors/{mon.get_json()['id']}",
                        json={"options": {"query_name": "nodot"}}, headers=H), "options.query_name")
    assert client.get(f"/v1/monitors/{mon.get_json()['id']}", headers=H).get_json()["options"] == opts
