"""The api function's entry point builds its auth from settings: keystone without a cloud
is a retryable 503 naming the setting, noauth reads X-Project-Id. Token validation against
a real Keystone is in tests/integration/api/test_keystone_validator.py and
test_api_keystone_http.py."""
from __future__ import annotations


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
