"""Keystone auth over real HTTP, against a real Keystone (tests/fixtures/openstack).

The api is built the way production builds it (``bootstrap.api_app`` from
settings: ``auth_strategy=keystone`` and a clouds.yaml entry holding an
application credential with the roles our Terraform grants by default), on the
real conductor.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
import yaml

from fixtures.openstack.keystone import terraform_roles

from kosmos import bootstrap
from kosmos.config import Settings

pytestmark = pytest.mark.openstack


@pytest.fixture(scope="module")
def service_cloud(keystone, tmp_path_factory) -> Path:
    """clouds.yaml with the Kosmos functions' credential, made as Terraform makes it:
    an application credential of the deploying user with Terraform's default roles."""
    roles = terraform_roles()
    project = keystone.project("kosmos")
    deployer = keystone.user(project, roles=tuple(roles))
    cred_id, secret = keystone.application_credential(deployer, roles)
    path = tmp_path_factory.mktemp("clouds") / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {"kosmos": {
        "auth_type": "v3applicationcredential", "identity_api_version": 3, "region_name": "RegionOne",
        "auth": {"auth_url": keystone.auth_url, "application_credential_id": cred_id,
                 "application_credential_secret": secret}}}}))
    return path


@pytest.fixture
def api_url(service_cloud, monkeypatch, sqlite_conductor, function_app, serve):
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(service_cloud))

    def make(**settings) -> str:
        s = Settings(auth_strategy="keystone", cloud="kosmos", **settings)
        return serve(function_app(bootstrap.api_app(s, conductor=sqlite_conductor)))
    return make


def _go(url: str, method: str, path: str, token: str | None = None, headers: dict | None = None,
        **kw) -> requests.Response:
    headers = {**(headers or {}), **({"X-Auth-Token": token} if token else {})}
    return requests.request(method, url + path, headers=headers, timeout=30, **kw)


def test_terraform_default_credential_validates_real_tokens_and_isolates_projects(keystone, api_url):
    url = api_url()
    p1, p2 = keystone.project(), keystone.project()
    alice, bob = keystone.user(p1), keystone.user(p2)
    ta, tb = keystone.token(alice), keystone.token(bob)
    r = _go(url, "POST", "/v1/monitors", ta, json={"type": "TCP", "delay": 5})
    assert r.status_code == 201, r.text
    assert r.json()["project_id"] == p1.id
    mid = r.json()["id"]
    assert _go(url, "GET", f"/v1/monitors/{mid}", ta).status_code == 200
    assert _go(url, "GET", f"/v1/monitors/{mid}", tb).status_code == 404
    assert _go(url, "GET", f"/v1/monitors/{mid}", "not-a-token").status_code == 401
    missing = _go(url, "GET", f"/v1/monitors/{mid}")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == f'Keystone uri="{keystone.auth_url}"'


def test_reader_cannot_write(keystone, api_url):
    url = api_url()
    reader = keystone.user(keystone.project(), roles=("reader",))
    token = keystone.token(reader)
    assert _go(url, "GET", "/v1/monitors", token).status_code == 200
    assert _go(url, "POST", "/v1/monitors", token, json={"type": "TCP", "delay": 5}).status_code == 403


def test_admins_see_every_project_only_when_they_ask(keystone, api_url):
    url = api_url()
    owner = keystone.user(keystone.project())
    other = keystone.user(keystone.project())
    admin = keystone.user(keystone.project(), roles=("admin", "member", "reader"))
    to, tx, ta = keystone.token(owner), keystone.token(other), keystone.token(admin)
    mid = _go(url, "POST", "/v1/monitors", to, json={"type": "TCP", "delay": 5}).json()["id"]
    assert _go(url, "DELETE", f"/v1/monitors/{mid}", tx).status_code == 404
    # X-Project-Id is ignored under keystone: the token's project rules
    r = _go(url, "GET", "/v1/monitors", tx, headers={"X-Project-Id": owner.project_id})
    assert r.json()["monitors"] == []
    assert _go(url, "GET", f"/v1/monitors/{mid}", ta).status_code == 200
    assert _go(url, "GET", "/v1/monitors", ta).json()["monitors"] == []   # its own project
    every = _go(url, "GET", "/v1/monitors?all_projects=true", ta).json()["monitors"]
    assert mid in [m["id"] for m in every]
    assert _go(url, "GET", "/v1/monitors?all_projects=true", to).status_code == 403


@pytest.mark.parametrize("how", ["revoked token", "removed role", "disabled user"])
def test_a_withdrawn_token_stops_working_within_the_cache_bound(keystone, service_cloud, monkeypatch,
                                                                sqlite_conductor, function_app, serve,
                                                                how):
    from kosmos.adapters.keystone import KeystoneTokenValidator, session_from_cloud
    from kosmos.api.app import ApiApp
    from kosmos.api.auth import KeystoneAuth

    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(service_cloud))
    now = [time.time()]
    validator = KeystoneTokenValidator(session_from_cloud("kosmos"), clock=lambda: now[0],
                                       cache_seconds=Settings().token_cache_seconds)
    url = serve(function_app(ApiApp(sqlite_conductor, KeystoneAuth(validator))))
    project = keystone.project()
    user = keystone.user(project)
    token = keystone.token(user)
    assert _go(url, "GET", "/v1/monitors", token).status_code == 200   # validated and cached
    ident = keystone.admin.identity
    if how == "revoked token":
        keystone.revoke(token)
    elif how == "removed role":
        ident.unassign_project_role_from_user(project, user.id, keystone.role("member"))
    else:
        ident.update_user(user.id, enabled=False)
    now[0] += 299
    assert _go(url, "GET", "/v1/monitors", token).status_code == 200   # trusted within the bound
    now[0] += 2
    assert _go(url, "GET", "/v1/monitors", token).status_code == 401   # Keystone asked again


def test_default_cache_bound_is_keystonemiddlewares():
    assert Settings().token_cache_seconds == 300


def test_public_routes_need_no_keystone_even_with_a_bad_cloud(sqlite_conductor, function_app, serve,
                                                              monkeypatch, tmp_path):
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "none.yaml"))
    s = Settings(auth_strategy="keystone", cloud="no-such-cloud")
    url = serve(function_app(bootstrap.api_app(s, conductor=sqlite_conductor)))
    assert _go(url, "GET", "/").status_code == 200
    assert _go(url, "GET", "/v1/openapi.json").status_code == 200
    r = _go(url, "GET", "/v1/monitors", "some-token")
    assert r.status_code == 503 and "no-such-cloud" in r.json()["error"]["message"]
    assert r.headers.get("Retry-After")
