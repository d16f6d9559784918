"""Keystone token validation, with Keystone itself mocked by ``responses``:
the service's own login and catalog, valid, expired and invalid tokens,
Keystone down, and the cache."""
from __future__ import annotations

import time

import pytest
import requests
import responses
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from kosmos.adapters.conductor_client import ConductorClient
from kosmos.adapters.keystone import KeystoneTokenValidator
from kosmos.api.app import ApiApp
from kosmos.api.auth import KeystoneAuth
from kosmos.errors import NotAuthenticated, Unavailable

KS = "http://keystone.test:5000/v3"
FUTURE = "2099-01-01T00:00:00.000000Z"
PAST = "2001-01-01T00:00:00.000000Z"
USER_TOKENS = {
    "tok-member": ("p1", ["member", "reader"], FUTURE),
    "tok-member-p2": ("p2", ["member", "reader"], FUTURE),
    "tok-reader": ("p1", ["reader"], FUTURE),
    "tok-admin": ("p9", ["admin", "member", "reader"], FUTURE),
    "tok-expired": ("p1", ["member"], PAST),
}


def _service_login(request):
    body = {"token": {
        "expires_at": FUTURE, "methods": ["password"],
        "user": {"id": "svc", "name": "kosmos", "domain": {"id": "default"}},
        "project": {"id": "service", "name": "service", "domain": {"id": "default"}},
        "roles": [{"id": "r", "name": "service"}],
        "catalog": [{"type": "identity", "id": "c", "name": "keystone", "endpoints": [
            {"id": "e", "interface": "public", "region": "RegionOne", "url": KS}]}]}}
    return 201, {"X-Subject-Token": "svc-token", "Content-Type": "application/json"}, \
        __import__("json").dumps(body)


def _validate(request):
    import json
    if request.headers.get("X-Auth-Token") != "svc-token":
        return 401, {}, json.dumps({"error": {"code": 401}})
    subject = request.headers.get("X-Subject-Token")
    if subject not in USER_TOKENS:
        return 404, {}, json.dumps({"error": {"code": 404, "message": "Could not find token"}})
    project, roles, expires = USER_TOKENS[subject]
    return 200, {"X-Subject-Token": subject}, json.dumps({"token": {
        "expires_at": expires, "project": {"id": project, "name": project},
        "user": {"id": "u-" + project}, "roles": [{"id": r, "name": r} for r in roles]}})


@pytest.fixture
def keystone():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.POST, KS + "/auth/tokens", callback=_service_login)
        rsps.add_callback(responses.GET, KS + "/auth/tokens", callback=_validate)
        yield rsps


def _session():
    return ks_session.Session(auth=v3.Password(
        auth_url=KS, username="kosmos", password="secret", project_name="service",
        user_domain_id="default", project_domain_id="default"))


def _gets(rsps):
    return [c for c in rsps.calls if c.request.method == "GET"]


def test_valid_token_via_service_catalog_is_cached(keystone):
    v = KeystoneTokenValidator(_session())
    info = v.validate("tok-member")
    assert info.project_id == "p1" and set(info.roles) == {"member", "reader"}
    assert v.validate("tok-member") == info
    assert len(_gets(keystone)) == 1  # second answer came from the cache
    assert keystone.calls[0].request.method == "POST"  # the service logged in first
    assert _gets(keystone)[0].request.url.endswith("/auth/tokens?nocatalog")  # no catalog to parse


def test_explicit_auth_url(keystone):
    v = KeystoneTokenValidator(_session(), KS + "/")
    assert v.validate("tok-reader").roles == ("reader",)


def test_invalid_and_expired_tokens(keystone):
    v = KeystoneTokenValidator(_session())
    with pytest.raises(NotAuthenticated):
        v.validate("tok-unknown")
    with pytest.raises(NotAuthenticated):
        v.validate("tok-expired")
    with pytest.raises(NotAuthenticated):
        v.validate("")


def test_cached_token_expires_with_the_clock(keystone):
    now = [time.time()]
    USER_TOKENS["tok-short"] = ("p1", ["member"], time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(now[0] + 60)))
    try:
        v = KeystoneTokenValidator(_session(), clock=lambda: now[0])
        assert v.validate("tok-short").project_id == "p1"
        now[0] += 120
        with pytest.raises(NotAuthenticated):
            v.validate("tok-short")
    finally:
        del USER_TOKENS["tok-short"]


def test_keystone_down_or_failing_is_unavailable():
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, KS + "/auth/tokens", callback=_service_login)
        rsps.add(responses.GET, KS + "/auth/tokens", body=requests.ConnectionError("refused"))
        with pytest.raises(Unavailable):
            KeystoneTokenValidator(_session()).validate("tok-member")
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, KS + "/auth/tokens", callback=_service_login)
        rsps.add(responses.GET, KS + "/auth/tokens", status=500, json={})
        with pytest.raises(Unavailable):
            KeystoneTokenValidator(_session()).validate("tok-member")
    with responses.RequestsMock() as rsps:  # the service's own password is wrong
        rsps.add(responses.POST, KS + "/auth/tokens", status=401, json={"error": {"code": 401}})
        with pytest.raises(Unavailable):
            KeystoneTokenValidator(_session()).validate("tok-member")


@pytest.fixture
def ks_client(keystone, fake_transport, make_client):
    app = ApiApp(ConductorClient(fake_transport),
                 KeystoneAuth(KeystoneTokenValidator(_session()), KS))
    return make_client(app)


def test_api_with_keystone_tokens(ks_client):
    def t(token):
        return {"X-Auth-Token": token}

    r = ks_client.post("/v1/pools", json={"name": "a"}, headers=t("tok-member"))
    assert r.status_code == 201 and r.get_json()["project_id"] == "p1"
    pid = r.get_json()["id"]
    assert ks_client.get(f"/v1/pools/{pid}", headers=t("tok-reader")).status_code == 200
    assert ks_client.post("/v1/pools", json={}, headers=t("tok-reader")).status_code == 403
    # another project's resource does not exist for it
    assert ks_client.get(f"/v1/pools/{pid}", headers=t("tok-member-p2")).status_code == 404
    assert ks_client.delete(f"/v1/pools/{pid}", headers=t("tok-member-p2")).status_code == 404
    assert ks_client.get("/v1/pools", headers=t("tok-member-p2")).get_json()["pools"] == []
    # X-Project-Id is ignored under keystone
    r = ks_client.get("/v1/pools", headers={**t("tok-member-p2"), "X-Project-Id": "p1"})
    assert r.get_json()["pools"] == []
    # admin: any project, all_projects on lists; members may not ask for it
    assert ks_client.get(f"/v1/pools/{pid}", headers=t("tok-admin")).status_code == 200
    assert ks_client.get("/v1/pools", headers=t("tok-admin")).get_json()["pools"] == []
    body = ks_client.get("/v1/pools?all_projects=true", headers=t("tok-admin")).get_json()
    assert [p["id"] for p in body["pools"]] == [pid]
    assert ks_client.get("/v1/pools?all_projects=true", headers=t("tok-member")).status_code == 403


@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": "tok-unknown"},
                                     {"X-Auth-Token": "tok-expired"}])
def test_api_rejects_missing_invalid_expired_tokens(ks_client, headers):
    r = ks_client.get("/v1/pools", headers=headers)
    assert r.status_code == 401 and r.get_json()["error"]["type"] == "NotAuthenticated"
    assert r.headers["WWW-Authenticate"] == f'Keystone uri="{KS}"'


def test_version_and_openapi_need_no_token(ks_client):
    assert ks_client.get("/").status_code == 200
    assert ks_client.get("/v1/openapi.json").status_code == 200


def test_bootstrap_builds_keystone_auth_from_clouds_yaml(tmp_path, monkeypatch, keystone,
                                                         fake_transport, make_client):
    from kosmos import bootstrap
    from kosmos.config import Settings

    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(f"""clouds:
  kosmos:
    auth:
      auth_url: {KS}
      username: kosmos
      password: secret
      project_name: service
      user_domain_id: default
      project_domain_id: default
    region_name: RegionOne
    identity_api_version: 3
""")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    settings = Settings(auth_strategy="keystone", cloud="kosmos")
    client = make_client(bootstrap.api_app(settings, conductor=ConductorClient(fake_transport)))
    assert client.post("/v1/pools", json={}, headers={"X-Auth-Token": "tok-member"}).status_code == 201
    assert client.get("/v1/pools", headers={"X-Auth-Token": "nope"}).status_code == 401


def test_keystone_without_cloud_answers_503_not_a_trace(monkeypatch, make_client):
    from kosmos.api.entry import INSTANCE
    from kosmos.config import reset_settings

    monkeypatch.setenv("KOSMOS_AUTH_STRATEGY", "keystone")
    monkeypatch.delenv("KOSMOS_CLOUD", raising=False)
    reset_settings()
    try:
        client = make_client(None)  # main.py builds from settings on the first request
        r = client.get("/v1/pools", headers={"X-Auth-Token": "tok-member"})
        assert r.status_code == 503 and "KOSMOS_CLOUD" in r.get_json()["error"]["message"]
    finally:
        INSTANCE.use(None)
        reset_settings()


def test_main_builds_noauth_app_from_settings(monkeypatch, make_client):
    from kosmos.api.entry import INSTANCE
    from kosmos.config import reset_settings

    monkeypatch.setenv("KOSMOS_AUTH_STRATEGY", "noauth")
    monkeypatch.setenv("KOSMOS_CONDUCTOR_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("KOSMOS_CONDUCTOR_TIMEOUT", "0.5")
    reset_settings()
    try:
        client = make_client(None)
        assert client.get("/").status_code == 200
        r = client.get("/v1/pools", headers={"X-Project-Id": "p1"})
        assert r.status_code == 503  # noauth accepted the caller; the conductor is absent
        assert client.get("/v1/pools").status_code == 401
        assert INSTANCE.app() is INSTANCE.app()  # built once, reused while warm
    finally:
        INSTANCE.use(None)
        reset_settings()
