"""The api over real HTTP, on the real conductor (SQLite): every endpoint,
error classes, isolation between projects and admin scope."""
from __future__ import annotations

import uuid

import pytest
import requests


@pytest.fixture
def http(base_url):
    s = requests.Session()

    def call(method: str, path: str, project: str = "p1", roles: str = "member", **kw):
        headers = {"X-Project-Id": project, "X-Roles": roles, **kw.pop("headers", {})}
        return s.request(method, base_url + path, headers=headers, timeout=10, **kw)

    yield call
    s.close()


def _created(r):
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == r.json()["links"]["self"]
    return r.json()


@pytest.fixture
def tree(http):
    mon = _created(http("POST", "/v1/monitors", json={
        "name": "web", "type": "HTTPS", "delay": 5, "timeout": 0.5, "url_path": "/healthz",
        "expected_codes": [200, "300-399"], "headers": {"Host": "www.example.com"},
        "insecure": True}))
    pool = _created(http("POST", "/v1/pools", json={"name": "eu", "monitor_ids": [mon["id"]],
                                                     "regions": ["RegionOne"]}))
    member = _created(http("POST", f"/v1/pools/{pool['id']}/pool_members",
                           json={"address": "192.0.2.10", "port": 443, "weight": 5}))
    gslb = _created(http("POST", "/v1/gslbs", json={
        "name": "www", "fqdn": "WWW.Example.com.", "zone_name": "example.com.", "ttl": 60,
        "pools": [{"pool_id": pool["id"], "priority": 1}], "all_down": "LAST_KNOWN"}))
    return {"monitor": mon, "pool": pool, "member": member, "gslb": gslb}


def test_resources_round_trip(http, tree, base_url):
    mon, pool, member, gslb = (tree[k] for k in ("monitor", "pool", "member", "gslb"))
    assert mon["expected_codes"] == [200, "300-399"] and mon["timeout"] == 0.5
    assert gslb["fqdn"] == "www.example.com." and gslb["ttl"] == 60
    assert member["endpoints"] in ([], ["192.0.2.10"])
    for url in (mon["links"]["self"], pool["links"]["self"], member["links"]["self"],
                gslb["links"]["self"]):
        assert url.startswith(base_url)
        r = requests.get(url, headers={"X-Project-Id": "p1", "X-Roles": "reader"}, timeout=10)
        assert r.status_code == 200 and r.json()["links"]["self"] == url


def test_lists_filters_pagination(http):
    made = [_created(http("POST", "/v1/pools", json={"name": f"pool-{i}"}))["id"] for i in range(7)]
    seen, url = [], "/v1/pools?limit=3&sort_key=name&sort_dir=desc"
    while url:
        body = http("GET", url).json()
        seen += [p["name"] for p in body["pools"]]
        nxt = body["links"]["next"]
        url = nxt.split("127.0.0.1", 1)[1].split("/", 1)[1] if nxt else None
        url = "/" + url if url else None
    assert seen == [f"pool-{i}" for i in range(6, -1, -1)] and len(made) == 7
    body = http("GET", "/v1/pools?name=pool-3").json()
    assert [p["name"] for p in body["pools"]] == ["pool-3"]


def test_update_is_partial_and_versioned(http, tree):
    url = f"/v1/gslbs/{tree['gslb']['id']}"
    r = http("PUT", url, json={"ttl": 120, "version": tree["gslb"]["version"]})
    assert r.status_code == 200, r.text
    assert r.json()["ttl"] == 120 and r.json()["all_down"] == "LAST_KNOWN"
    assert r.json()["version"] > tree["gslb"]["version"]
    r = http("PUT", url, json={"ttl": 10, "version": tree["gslb"]["version"]})
    assert r.status_code == 409 and r.json()["error"]["type"] == "StaleVersion"
    r = http("PUT", f"/v1/monitors/{tree['monitor']['id']}", json={"timeout": 5})
    assert r.status_code == 400 and "timeout" in r.json()["error"]["message"]


def test_delete_in_use_then_free(http, tree):
    ids = {k: v["id"] for k, v in tree.items()}
    assert http("DELETE", f"/v1/monitors/{ids['monitor']}").status_code == 409
    assert http("DELETE", f"/v1/pools/{ids['pool']}").status_code == 409
    assert http("DELETE", f"/v1/gslbs/{ids['gslb']}").status_code == 204
    assert http("DELETE", f"/v1/pools/{ids['pool']}/pool_members/{ids['member']}").status_code == 204
    assert http("DELETE", f"/v1/pools/{ids['pool']}").status_code == 204
    assert http("DELETE", f"/v1/monitors/{ids['monitor']}").status_code == 204
    assert http("GET", f"/v1/gslbs/{ids['gslb']}").status_code == 404


def test_status_monitors_pools_history(http, tree, sqlite_conductor):
    ids = {k: v["id"] for k, v in tree.items()}
    assert http("GET", f"/v1/pools/{ids['pool']}/monitors").json()["monitors"][0]["id"] == ids["monitor"]
    pool_tree = http("GET", f"/v1/pools/{ids['pool']}/status").json()
    assert pool_tree["pool"]["id"] == ids["pool"]
    assert [m["member"]["id"] for m in pool_tree["members"]] == [ids["member"]]
    m = f"/v1/pools/{ids['pool']}/pool_members/{ids['member']}"
    assert http("GET", m + "/status").json()["member"]["id"] == ids["member"]
    assert http("GET", m + "/monitors").json()["monitors"][0]["id"] == ids["monitor"]
    pools = http("GET", f"/v1/gslbs/{ids['gslb']}/pools").json()["pools"]
    assert pools[0]["id"] == ids["pool"] and pools[0]["priority"] == 1
    status = http("GET", f"/v1/gslbs/{ids['gslb']}/status").json()
    assert status["gslb"]["id"] == ids["gslb"] and status["pools"][0]["pool_id"] == ids["pool"]

    from kosmos.contracts.conductor import CallContext
    entries = [{"project_id": "p1", "gslb_id": ids["gslb"], "member_id": ids["member"],
                "subject_type": "member", "subject_id": ids["member"],
                "time": f"2026-01-01T00:00:0{i}Z", "from": "ONLINE" if i else "NO_MONITOR",
                "to": "OFFLINE" if i else "ONLINE", "reason": f"rule {i}",
                "evidence": {"regions": {"RegionOne": "DOWN"}}, "dedupe_key": f"k{i}"}
               for i in range(3)]
    sqlite_conductor.call("history.append", {"entries": entries}, CallContext.system())
    body = http("GET", f"/v1/gslbs/{ids['gslb']}/history?limit=2").json()
    first = body["history"][0]
    assert {"time", "subject", "from", "to", "reason", "evidence"} <= set(first)
    assert first["reason"] == "rule 2" and first["subject"]["id"] == ids["member"]
    assert body["links"]["next"] and "limit=2" in body["links"]["next"]
    rest = requests.get(body["links"]["next"], headers={"X-Project-Id": "p1"}, timeout=10).json()
    assert [e["reason"] for e in rest["history"]] == ["rule 0"]
    since = http("GET", f"/v1/gslbs/{ids['gslb']}/history",
                 params={"since": "2026-01-01T00:00:01Z"}).json()["history"]
    assert {e["reason"] for e in since} == {"rule 1", "rule 2"}


def test_projects_are_isolated_and_admin_sees_all(http, tree):
    ids = {k: v["id"] for k, v in tree.items()}
    for path in (f"/v1/gslbs/{ids['gslb']}", f"/v1/gslbs/{ids['gslb']}/status",
                 f"/v1/gslbs/{ids['gslb']}/history", f"/v1/pools/{ids['pool']}/pool_members",
                 f"/v1/pools/{ids['pool']}/pool_members/{ids['member']}"):
        r = http("GET", path, project="p2")
        assert r.status_code == 404, (path, r.status_code)
    assert http("PUT", f"/v1/gslbs/{ids['gslb']}", project="p2", json={"ttl": 5}).status_code == 404
    assert http("DELETE", f"/v1/monitors/{ids['monitor']}", project="p2").status_code == 404
    assert http("GET", "/v1/gslbs", project="p2").json()["gslbs"] == []
    r = http("POST", "/v1/pools", project="p2", json={"monitor_ids": [ids["monitor"]]})
    assert r.status_code in (400, 404) and r.status_code != 201  # not p2's monitor
    assert http("GET", "/v1/gslbs?all_projects=true", project="p2").status_code == 403
    body = http("GET", "/v1/gslbs?all_projects=true", project="ops", roles="admin").json()
    assert [g["id"] for g in body["gslbs"]] == [ids["gslb"]]
    assert http("GET", f"/v1/gslbs/{ids['gslb']}", project="ops", roles="admin").status_code == 200


def test_roles(http, tree):
    assert http("GET", "/v1/pools", roles="reader").status_code == 200
    for method, path, body in (("POST", "/v1/pools", {}),
                               ("PUT", f"/v1/pools/{tree['pool']['id']}", {"name": "x"}),
                               ("DELETE", f"/v1/gslbs/{tree['gslb']['id']}", None)):
        r = http(method, path, roles="reader", json=body)
        assert r.status_code == 403 and r.json()["error"]["type"] == "Forbidden"


def test_error_classes_over_http(http, base_url):
    def err(r, code):
        assert r.status_code == code, r.text
        assert r.headers["Content-Type"] == "application/json"
        return r.json()["error"]

    assert err(http("GET", "/v1/pools", headers={"X-Project-Id": ""}), 401)["type"] == "NotAuthenticated"
    assert err(http("POST", "/v1/pools", data=b"{oops", headers={"Content-Type": "application/json"}), 400)["field"] == "body"
    assert err(http("POST", "/v1/pools", json={"colour": "red"}), 400)["field"] == "colour"
    assert err(http("POST", "/v1/pools", data="x", headers={"Content-Type": "text/plain"}), 415)
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    assert err(http("POST", "/v1/pools", data=big, headers={"Content-Type": "application/json"}), 413)
    assert err(http("PATCH", "/v1/pools"), 405)
    assert err(http("GET", f"/v1/pools/{uuid.uuid4()}"), 404)
    r = http("POST", "/v1/gslbs", json={"fqdn": "a.example.com.", "zone_name": "example.com."})
    assert r.status_code == 201
    dup = http("POST", "/v1/gslbs", json={"fqdn": "a.example.com.", "zone_name": "example.com."})
    assert err(dup, 409)["type"] == "Conflict"
    assert requests.get(base_url + "/", timeout=10).json()["versions"][0]["id"] == "v1"


def test_conductor_down_over_http_is_503(function_app, serve):
    from kosmos.adapters.conductor_client import ConductorClient, HttpTransport
    from kosmos.api.app import ApiApp
    from kosmos.api.auth import NoAuth

    url = serve(function_app(ApiApp(ConductorClient(HttpTransport("http://127.0.0.1:9", 0.5)),
                                    NoAuth())))
    r = requests.get(url + "/v1/gslbs", headers={"X-Project-Id": "p1"}, timeout=10)
    assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["type"] == "Unavailable"


_SAMPLE = {str: "x", int: 1, bool: "true"}


@pytest.mark.parametrize("kind", ["monitor", "pool", "member", "gslb"])
def test_every_documented_filter_and_sort_key_is_served(http, tree, kind):
    """The api's filters and sort keys stay in step with what the conductor accepts."""
    from kosmos.api.resources import SPECS

    spec = SPECS[kind]
    path = (f"/v1/pools/{tree['pool']['id']}/pool_members" if kind == "member"
            else f"/v1/{spec.plural}")
    for name, typ in spec.filters.items():
        r = http("GET", path, params={name: _SAMPLE[typ]})
        assert r.status_code == 200, (name, r.text)
    for key in spec.sort_keys:
        for direction in ("asc", "desc"):
            r = http("GET", path, params={"sort_key": key, "sort_dir": direction})
            assert r.status_code == 200, (key, r.text)
            assert len(r.json()[spec.plural]) == 1


def test_idempotency_key_makes_a_retried_create_return_the_first(http):
    body = {"fqdn": "retry.example.com.", "zone_name": "example.com."}
    first = http("POST", "/v1/gslbs", json=body, headers={"Idempotency-Key": "k-1"})
    again = http("POST", "/v1/gslbs", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert len(http("GET", "/v1/gslbs").json()["gslbs"]) == 1
    other = http("POST", "/v1/gslbs", json={**body, "ttl": 99}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409  # same key, different request
    # keys are per project: another project's identical key is another resource
    p2 = http("POST", "/v1/gslbs", project="p2", json={**body, "fqdn": "b.example.com."},
              headers={"Idempotency-Key": "k-1"})
    assert p2.status_code == 201 and p2.json()["id"] != first.json()["id"]
    bad = http("POST", "/v1/pools", json={}, headers={"Idempotency-Key": "k" * 300})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "Idempotency-Key"
