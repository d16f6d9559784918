"""Every error class: status, JSON shape, the field named, and no stack traces."""
from __future__ import annotations

import uuid

import pytest

from kosmos.adapters.conductor_client import ConductorClient, HttpTransport
from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth


def _error(r, code):
    assert r.status_code == code, r.data
    err = r.get_json()["error"]
    assert set(err) >= {"code", "type", "message", "details"} and err["code"] == code
    assert "Traceback" not in r.get_data(as_text=True)
    return err


@pytest.mark.parametrize("body,field", [
    ({"type": "HTTP", "delay": 0}, "delay"),
    ({"type": "HTTP", "delay": 3601}, "delay"),
    ({"type": "HTTP", "delay": 4, "timeout": 4}, "timeout"),
    ({"type": "HTTP", "url_path": "health"}, "url_path"),
    ({"type": "HTTP", "expected_codes": ["200-1000"]}, "expected_codes"),
    ({"type": "HTTP", "expected_codes": [99]}, "expected_codes"),
    ({"type": "HTTP", "port": 70000}, "port"),
    ({"type": "HTTP", "http_method": "TRACE"}, "http_method"),
    ({"type": "HTTP", "bogus": 1}, "bogus"),
    ({"delay": 5}, "type"),
])
def test_monitor_validation_names_the_field(client, h, body, field):
    err = _error(client.post("/v1/monitors", json=body, headers=h()), 400)
    assert err["type"] == "ValidationError"
    assert err["field"] == field and field in err["message"]


@pytest.mark.parametrize("body,field", [
    ({"fqdn": "www.example.com", "zone_name": "example.com."}, "fqdn"),
    ({"fqdn": "www.other.org.", "zone_name": "example.com."}, "fqdn"),
    ({"fqdn": "-bad.example.com.", "zone_name": "example.com."}, "fqdn"),
    ({"fqdn": "a" * 64 + ".example.com.", "zone_name": "example.com."}, "fqdn"),
    ({"fqdn": "www.example.com.", "zone_name": "example.com.", "ttl": 0}, "ttl"),
    ({"fqdn": "www.example.com.", "zone_name": "example.com.", "all_down": "SOME"}, "all_down"),
    ({"fqdn": "www.example.com.", "zone_name": "example.com.",
      "pools": [{"pool_id": "not-a-uuid"}]}, "pools.0.pool_id"),
])
def test_gslb_validation_names_the_field(client, h, body, field):
    err = _error(client.post("/v1/gslbs", json=body, headers=h()), 400)
    assert err["field"] == field


@pytest.mark.parametrize("body,field", [
    ({"address": "10.0.0.300"}, "address"),
    ({"address": "10.0.0.1", "port": 0}, "port"),
    ({"address": "10.0.0.1", "weight": 257}, "weight"),
    ({"type": "neutron_port", "neutron_id": str(uuid.uuid4())}, "region"),
    ({"type": "IP"}, "address"),
])
def test_member_validation_names_the_field(client, h, body, field):
    pool = client.post("/v1/pools", json={}, headers=h()).get_json()
    err = _error(client.post(f"/v1/pools/{pool['id']}/pool_members", json=body, headers=h()), 400)
    assert err["field"] == field


def test_malformed_json_non_object_and_empty_bodies(client, h):
    hdr = {**h(), "Content-Type": "application/json"}
    assert _error(client.post("/v1/pools", data='{"name": ', headers=hdr), 400)["field"] == "body"
    assert _error(client.post("/v1/pools", data="[1, 2]", headers=hdr), 400)["field"] == "body"
    assert _error(client.post("/v1/pools", data="", headers=hdr), 400)["field"] == "body"
    assert _error(client.post("/v1/pools", data='{"a": NaN}', headers=hdr), 400)["field"] == "body"
    assert _error(client.post("/v1/pools", data=b"\xff\xfe\x00", headers=hdr), 400)
    assert _error(client.post("/v1/pools", data="[" * 100000, headers=hdr), 400)


def test_bad_query_parameters_are_400(client, h):
    assert _error(client.get("/v1/pools?limit=0", headers=h()), 400)["field"] == "limit"
    assert _error(client.get("/v1/pools?limit=abc", headers=h()), 400)["field"] == "limit"
    assert _error(client.get("/v1/pools?sort_key=secret", headers=h()), 400)["field"] == "sort_key"
    assert _error(client.get("/v1/pools?marker=x", headers=h()), 400)["field"] == "marker"
    assert _error(client.get("/v1/pools?colour=red", headers=h()), 400)["field"] == "colour"


def test_wrong_content_type_is_415(client, h):
    err = _error(client.post("/v1/pools", data="name=x", headers={
        **h(), "Content-Type": "application/x-www-form-urlencoded"}), 415)
    assert err["type"] == "UnsupportedMediaType"
    _error(client.post("/v1/pools", data="{}", headers=h()), 415)


def test_body_over_limit_is_413(client, h):
    big = '{"name": "' + "x" * (1_048_576 + 10) + '"}'
    err = _error(client.post("/v1/pools", data=big, headers={**h(), "Content-Type": "application/json"}), 413)
    assert err["type"] == "PayloadTooLarge"


def test_missing_identity_is_401_and_reader_write_is_403(client, h):
    err = _error(client.get("/v1/pools"), 401)
    assert err["type"] == "NotAuthenticated"
    assert _error(client.post("/v1/pools", json={}, headers=h("p1", "reader")), 403)["type"] == "Forbidden"
    assert client.get("/v1/pools", headers=h("p1", "reader")).status_code == 200
    _error(client.get("/v1/pools", headers=h("p1", "observer")), 403)


def test_unknown_path_and_ids_are_404(client, h):
    _error(client.get("/v1/nothing", headers=h()), 404)
    _error(client.get("/v1/pools/not-a-uuid", headers=h()), 404)
    _error(client.get(f"/v1/pools/{uuid.uuid4()}", headers=h()), 404)


def test_wrong_method_is_405_with_allow(client, h):
    r = client.patch("/v1/pools", headers=h())
    _error(r, 405)
    assert set(r.headers["Allow"].split(", ")) >= {"GET", "POST"}
    _error(client.delete("/v1/monitors", headers=h()), 405)


def test_fqdn_taken_is_409(client, h):
    body = {"fqdn": "www.example.com.", "zone_name": "example.com."}
    assert client.post("/v1/gslbs", json=body, headers=h()).status_code == 201
    assert _error(client.post("/v1/gslbs", json=body, headers=h()), 409)["type"] == "Conflict"


def test_conductor_down_is_503_with_retry_after(client, h, fake_transport):
    fake_transport.down = True
    r = client.get("/v1/pools", headers=h())
    assert _error(r, 503)["type"] == "Unavailable"
    assert int(r.headers["Retry-After"]) >= 1


def test_conductor_unreachable_over_http_is_503(h, make_client):
    # A real HTTP transport towards a port nothing listens on.
    client = make_client(ApiApp(ConductorClient(HttpTransport("http://127.0.0.1:9", 0.5)), NoAuth()))
    r = client.get("/v1/pools", headers=h())
    assert _error(r, 503)["type"] == "Unavailable" and r.headers["Retry-After"]


class _Exploding(ConductorClient):
    """A conductor client with a bug: the api must not leak it."""

    def __init__(self) -> None:
        pass

    def call(self, *a, **kw):
        raise RuntimeError("secret internals /etc/passwd")


def test_unexpected_error_is_500_without_trace(h, make_client):
    client = make_client(ApiApp(_Exploding(), NoAuth()))
    r = client.get("/v1/pools", headers=h())
    err = _error(r, 500)
    assert "secret" not in r.get_data(as_text=True) and err["type"] == "InternalError"


@pytest.mark.parametrize("path", ["/v1/gslbs/%0a", "/v1/x%0d%0a", "/favicon.ico", "/robots.txt"])
def test_paths_the_framework_refuses_are_json_404s(client, h, path):
    r = client.get(path, headers=h())
    err = _error(r, 404)
    assert r.headers["Content-Type"].startswith("application/json") and err["type"] == "NotFound"
