"""Token validation against a real Keystone (tests/fixtures/openstack): the service's own
login and catalog, valid, unknown, revoked and expired tokens, the cache, and Keystone
unreachable, failing or refusing the service.

Every request the validator's session sends is recorded (a requests hook, nothing
answered in Keystone's place), so a test can tell a cached answer from a fresh one.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from fixtures.openstack.base import _mysql, free_port
from fixtures.openstack.keystone import PASSWORD, terraform_roles
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from kosmos.adapters.keystone import KeystoneTokenValidator
from kosmos.errors import NotAuthenticated, Unavailable

pytestmark = pytest.mark.openstack


class Recorded:
    """A keystoneauth1 session as ``user`` whose requests are recorded as (method, url)."""

    def __init__(self, auth_url: str, user, password: str = PASSWORD):
        http = requests.Session()
        self.sent: list[tuple[str, str]] = []
        http.hooks["response"].append(
            lambda r, *a, **k: self.sent.append((r.request.method, r.request.url)))
        self.session = ks_session.Session(session=http, auth=v3.Password(
            auth_url=auth_url, user_id=user.id, password=password, project_id=user.project_id))

    def gets(self) -> list[str]:
        return [url for method, url in self.sent if method == "GET"]


@pytest.fixture(scope="module")
def service(keystone):
    """The Kosmos service user: a project of its own, the roles Terraform grants."""
    return keystone.user(keystone.project(), roles=tuple(terraform_roles()))


@pytest.fixture(scope="module")
def member(keystone):
    return keystone.user(keystone.project(), roles=("member", "reader"))


def test_a_valid_token_is_asked_once_through_the_catalog_then_cached(keystone, service, member):
    rec = Recorded(keystone.auth_url, service)
    v = KeystoneTokenValidator(rec.session)
    token = keystone.token(member)
    info = v.validate(token)
    assert info.project_id == member.project_id and set(info.roles) == {"member", "reader"}
    assert info.user_id == member.id and info.expires_at > time.time() + 3000
    assert v.validate(token) == info
    assert rec.sent[0][0] == "POST"                       # the service logged in first
    assert rec.gets() == [keystone.auth_url + "/auth/tokens?nocatalog"]   # once, no catalog


def test_an_explicit_auth_url_is_used_as_given(keystone, service, member):
    rec = Recorded(keystone.auth_url, service)
    v = KeystoneTokenValidator(rec.session, keystone.url + "/")
    assert v.validate(keystone.token(member)).project_id == member.project_id
    assert rec.gets() == [keystone.auth_url + "/auth/tokens?nocatalog"]


def test_unknown_revoked_and_empty_tokens_are_not_authenticated(keystone, service, member):
    v = KeystoneTokenValidator(Recorded(keystone.auth_url, service).session)
    revoked = keystone.token(member)
    keystone.revoke(revoked)
    for token in ("not-a-token", revoked, "gAAAAA" + "x" * 180, ""):
        with pytest.raises(NotAuthenticated):
            v.validate(token)


def test_an_unscoped_token_is_not_authenticated(keystone, service, member):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "id": member.id, "password": PASSWORD}}}, "scope": "unscoped"}}
    resp = requests.post(keystone.auth_url + "/auth/tokens", json=body, timeout=30)
    assert resp.status_code == 201 and "project" not in resp.json()["token"]
    v = KeystoneTokenValidator(Recorded(keystone.auth_url, service).session)
    with pytest.raises(NotAuthenticated) as err:
        v.validate(resp.headers["X-Subject-Token"])
    assert "not scoped to a project" in str(err.value)


def test_a_token_keystone_has_expired_is_not_authenticated(keystone, service, member):
    # A token ends with the application credential it came from: one ending in 15 s
    # (time enough for a busy machine to make it, get a token and validate it once).
    ends = datetime.now(timezone.utc) + timedelta(seconds=15)
    cred = keystone.application_credential(member, ["member"],
                                           expires_at=ends.strftime("%Y-%m-%dT%H:%M:%S"))
    token = keystone.credential_token(*cred)
    rec = Recorded(keystone.auth_url, service)
    v = KeystoneTokenValidator(rec.session)
    assert v.validate(token).expires_at <= ends.timestamp() + 1
    time.sleep(max(0.0, ends.timestamp() - time.time()) + 1.5)
    fresh = KeystoneTokenValidator(rec.session)            # nothing cached: Keystone says 404
    with pytest.raises(NotAuthenticated):
        fresh.validate(token)
    with pytest.raises(NotAuthenticated):                  # the cache never outlives the token
        v.validate(token)
    assert len(rec.gets()) == 2


def test_a_cached_answer_ends_with_the_token_without_asking_keystone(keystone, service, member):
    now = [time.time()]
    rec = Recorded(keystone.auth_url, service)
    v = KeystoneTokenValidator(rec.session, clock=lambda: now[0], cache_seconds=1e9)
    token = keystone.token(member)
    info = v.validate(token)
    now[0] = info.expires_at - 1
    assert v.validate(token) == info
    now[0] = info.expires_at + 1
    with pytest.raises(NotAuthenticated):
        v.validate(token)
    assert len(rec.gets()) == 1


def test_keystone_unreachable_is_unavailable(keystone, service, member):
    closed = f"http://127.0.0.1:{free_port()}"
    token = keystone.token(member)
    # the service logs in, then the identity URL it was given does not answer
    logged_in = KeystoneTokenValidator(Recorded(keystone.auth_url, service).session, closed)
    with pytest.raises(Unavailable):
        logged_in.validate(token)
    # the service cannot even log in
    with pytest.raises(Unavailable):
        KeystoneTokenValidator(Recorded(closed + "/v3", service).session).validate(token)


def test_keystone_refusing_the_services_own_password_is_unavailable(keystone, service, member):
    rec = Recorded(keystone.auth_url, service, password="wrong")
    with pytest.raises(Unavailable) as err:
        KeystoneTokenValidator(rec.session).validate(keystone.token(member))
    assert "own credentials" in str(err.value)


def test_a_service_without_the_service_role_is_unavailable_not_a_401(keystone, member):
    reader = keystone.user(keystone.project(), roles=("reader",))
    with pytest.raises(Unavailable) as err:
        KeystoneTokenValidator(Recorded(keystone.auth_url, reader).session).validate(
            keystone.token(member))
    assert "not allowed" in str(err.value)


def test_keystone_failing_is_unavailable_and_recovers(keystone, service, member):
    """Keystone's revocation table gone: every validation is its HTTP 500."""
    token = keystone.token(member)
    rec = Recorded(keystone.auth_url, service)
    v = KeystoneTokenValidator(rec.session)
    rec.session.get_token()                                 # logged in while Keystone works
    table = f"{keystone.db.name}.revocation_event"
    _mysql(f"RENAME TABLE {table} TO {table}_away")
    try:
        with pytest.raises(Unavailable) as err:
            v.validate(token)
        assert "HTTP 500" in str(err.value)
    finally:
        _mysql(f"RENAME TABLE {table}_away TO {table}")
    assert v.validate(token).project_id == member.project_id   # nothing cached the failure
