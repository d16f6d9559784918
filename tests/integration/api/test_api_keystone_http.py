"""Keystone auth over real HTTP on the real conductor; Keystone itself (which
cannot run here) is mocked with ``responses``, the local server is not."""
from __future__ import annotations

import json

import pytest
import requests
import responses
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from kosmos.adapters.keystone import KeystoneTokenValidator
from kosmos.api.app import ApiApp
from kosmos.api.auth import KeystoneAuth

KS = "http://keystone.test:5000/v3"
TOKENS = {"t-p1": ("p1", ["member", "reader"], "2099-01-01T00:00:00Z"),
          "t-p2": ("p2", ["member", "reader"], "2099-01-01T00:00:00Z"),
          "t-old": ("p1", ["member"], "2000-01-01T00:00:00Z")}


def _login(request):
    body = {"token": {"expires_at": "2099-01-01T00:00:00Z", "methods": ["password"],
                      "user": {"id": "svc", "name": "kosmos", "domain": {"id": "default"}},
                      "project": {"id": "svc", "name": "service", "domain": {"id": "default"}},
                      "roles": [{"name": "service"}],
                      "catalog": [{"type": "identity", "id": "c", "endpoints": [
                          {"id": "e", "interface": "public", "region": "RegionOne", "url": KS}]}]}}
    return 201, {"X-Subject-Token": "svc"}, json.dumps(body)


def _check(request):
    subject = request.headers.get("X-Subject-Token")
    if request.headers.get("X-Auth-Token") != "svc" or subject not in TOKENS:
        return 404, {}, json.dumps({"error": {"code": 404}})
    project, roles, expires = TOKENS[subject]
    return 200, {}, json.dumps({"token": {"expires_at": expires, "project": {"id": project},
                                          "roles": [{"name": r} for r in roles]}})


@pytest.fixture
def ks_url(sqlite_conductor, function_app, serve):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru("http://127.0.0.1")
        rsps.add_callback(responses.POST, KS + "/auth/tokens", callback=_login)
        rsps.add_callback(responses.GET, KS + "/auth/tokens", callback=_check)
        session = ks_session.Session(auth=v3.Password(
            auth_url=KS, username="kosmos", password="pw", project_name="service",
            user_domain_id="default", project_domain_id="default"))
        api = ApiApp(sqlite_conductor, KeystoneAuth(KeystoneTokenValidator(session), KS))
        yield serve(function_app(api)), rsps


def test_tokens_over_http(ks_url):
    url, rsps = ks_url

    def go(method, path, token=None, **kw):
        headers = {"X-Auth-Token": token} if token else {}
        return requests.request(method, url + path, headers=headers, timeout=10, **kw)

    r = go("POST", "/v1/monitors", "t-p1", json={"type": "TCP", "delay": 5})
    assert r.status_code == 201 and r.json()["project_id"] == "p1"
    mid = r.json()["id"]
    assert go("GET", f"/v1/monitors/{mid}", "t-p1").status_code == 200
    assert go("GET", f"/v1/monitors/{mid}", "t-p2").status_code == 404
    assert go("GET", f"/v1/monitors/{mid}").status_code == 401
    assert go("GET", f"/v1/monitors/{mid}", "t-old").status_code == 401
    assert go("GET", f"/v1/monitors/{mid}", "t-forged").status_code == 401
    validations = [c for c in rsps.calls if c.request.method == "GET"
                   and c.request.headers.get("X-Subject-Token") == "t-p1"]
    assert len(validations) == 1  # cached after the first request
