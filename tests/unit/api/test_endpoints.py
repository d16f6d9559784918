"""Every endpoint of API.md through the functions-framework test client."""
from __future__ import annotations

import uuid

import pytest


def _mk(client, h, path, body, project="p1"):
    r = client.post(path, json=body, headers=h(project))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


@pytest.fixture
def tree(client, h):
    """A monitor, a pool using it, a member, and a GSLB serving the pool (project p1)."""
    mon = _mk(client, h, "/v1/monitors", {"type": "HTTP", "delay": 10, "url_path": "/health"})
    pool = _mk(client, h, "/v1/pools", {"name": "eu", "monitor_ids": [mon["id"]]})
    member = _mk(client, h, f"/v1/pools/{pool['id']}/pool_members",
                 {"address": "2001:db8::1", "port": 443})
    gslb = _mk(client, h, "/v1/gslbs", {"fqdn": "www.example.com.", "zone_name": "example.com.",
                                        "pools": [{"pool_id": pool["id"], "priority": 1}]})
    return {"monitor": mon, "pool": pool, "member": member, "gslb": gslb}


def test_version_document_needs_no_auth(client):
    r = client.get("/")
    assert r.status_code == 200
    v = r.get_json()["versions"][0]
    assert v["id"] == "v1" and v["status"] == "CURRENT"
    assert any(link["href"].endswith("/v1/openapi.json") for link in v["links"])


def test_the_v1_document_and_the_healthcheck_need_no_auth(client, fake_transport):
    for path in ("/v1", "/v1/"):
        r = client.get(path)
        assert r.status_code == 200
        v = r.get_json()["version"]
        assert v["id"] == "v1" and any(link["href"].endswith("/v1/") for link in v["links"])
    assert client.get("/healthcheck").get_json() == {"status": "ok"}
    fake_transport.down = True   # the conductor (or its database) does not answer: not healthy
    r = client.get("/healthcheck")
    assert r.status_code == 503 and r.get_json()["error"]["type"] == "Unavailable"


def test_openapi_document_lists_every_path(client):
    doc = client.get("/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/v1/monitors", "/v1/monitors/{id}", "/v1/pools/{id}/monitors",
                 "/v1/pools/{id}/status", "/v1/pools/{pool_id}/pool_members/{id}/status",
                 "/v1/pools/{pool_id}/pool_members/{id}/monitors", "/v1/gslbs/{id}/pools",
                 "/v1/gslbs/{id}/status", "/v1/gslbs/{id}/history"):
        assert path in doc["paths"], path
    create = doc["components"]["schemas"]["MonitorCreate"]["properties"]["delay"]
    assert create["minimum"] == 1 and create["maximum"] == 3600 and create["default"] == 10


def test_create_returns_201_location_and_defaults(client, h, tree):
    mon = tree["monitor"]
    assert mon["timeout"] == 5.0 and mon["expected_codes"] == [200] and mon["http_method"] == "GET"
    assert mon["links"]["self"].endswith(f"/v1/monitors/{mon['id']}")
    r = client.post("/v1/monitors", json={"type": "TCP", "delay": 4}, headers=h())
    assert r.headers["Location"] == r.get_json()["links"]["self"]
    assert r.get_json()["timeout"] == 2.0
    assert tree["member"]["address"] == "2001:db8::1" and tree["member"]["weight"] == 1
    assert tree["member"]["links"]["self"].endswith(
        f"/v1/pools/{tree['pool']['id']}/pool_members/{tree['member']['id']}")
    assert tree["gslb"]["ttl"] == 30 and tree["gslb"]["all_down"] == "ALL"


@pytest.mark.parametrize("kind,path", [
    ("monitor", "/v1/monitors/{monitor}"), ("pool", "/v1/pools/{pool}"),
    ("member", "/v1/pools/{pool}/pool_members/{member}"), ("gslb", "/v1/gslbs/{gslb}")])
def test_get_one_is_bare_with_self_link(client, h, tree, kind, path):
    url = path.format(**{k: v["id"] for k, v in tree.items()})
    r = client.get(url, headers=h("p1", "reader"))
    assert r.status_code == 200
    assert r.get_json()["id"] == tree[kind]["id"]
    assert r.get_json()["links"]["self"].endswith(url)


@pytest.mark.parametrize("path,key", [
    ("/v1/monitors", "monitors"), ("/v1/pools", "pools"),
    ("/v1/pools/{pool}/pool_members", "pool_members"), ("/v1/gslbs", "gslbs")])
def test_lists_have_plural_key_and_links(client, h, tree, path, key):
    r = client.get(path.format(pool=tree["pool"]["id"]), headers=h())
    assert r.status_code == 200
    body = r.get_json()
    assert len(body[key]) == 1 and body["links"] == {"next": None}


def test_pagination_next_link_walks_every_item(client, h):
    ids = {_mk(client, h, "/v1/pools", {"name": f"p{i}"})["id"] for i in range(5)}
    seen, url = [], "/v1/pools?limit=2&sort_key=name&sort_dir=desc"
    while url:
        body = client.get(url, headers=h()).get_json()
        seen += [p["id"] for p in body["pools"]]
        nxt = body["links"]["next"]
        url = nxt.replace("http://localhost", "") if nxt else None
        if url:
            assert "sort_dir=desc" in url and "limit=2" in url
    assert set(seen) == ids and len(seen) == 5


def test_filters_and_sort(client, h):
    _mk(client, h, "/v1/monitors", {"type": "TCP", "name": "b"})
    _mk(client, h, "/v1/monitors", {"type": "HTTP", "name": "a"})
    body = client.get("/v1/monitors?type=TCP", headers=h()).get_json()
    assert [m["name"] for m in body["monitors"]] == ["b"]
    body = client.get("/v1/monitors?sort_key=name", headers=h()).get_json()
    assert [m["name"] for m in body["monitors"]] == ["a", "b"]


def test_partial_put_and_stale_version(client, h, tree):
    url = f"/v1/monitors/{tree['monitor']['id']}"
    r = client.put(url, json={"name": "web", "version": 1}, headers=h())
    assert r.status_code == 200
    body = r.get_json()
    assert body["name"] == "web" and body["url_path"] == "/health" and body["version"] == 2
    r = client.put(url, json={"name": "again", "version": 1}, headers=h())
    assert r.status_code == 409 and r.get_json()["error"]["type"] == "StaleVersion"


def test_put_member_and_gslb(client, h, tree):
    m = f"/v1/pools/{tree['pool']['id']}/pool_members/{tree['member']['id']}"
    assert client.put(m, json={"weight": 0}, headers=h()).get_json()["weight"] == 0
    g = f"/v1/gslbs/{tree['gslb']['id']}"
    assert client.put(g, json={"ttl": 60, "all_down": "NONE"}, headers=h()).get_json()["ttl"] == 60


def test_delete_in_use_is_409_then_204_when_free(client, h, tree):
    ids = {k: v["id"] for k, v in tree.items()}
    assert client.delete(f"/v1/monitors/{ids['monitor']}", headers=h()).status_code == 409
    assert client.delete(f"/v1/pools/{ids['pool']}", headers=h()).status_code == 409
    r = client.delete(f"/v1/gslbs/{ids['gslb']}", headers=h())
    assert r.status_code == 204 and r.data == b""
    assert client.delete(f"/v1/pools/{ids['pool']}/pool_members/{ids['member']}",
                         headers=h()).status_code == 204
    assert client.delete(f"/v1/pools/{ids['pool']}", headers=h()).status_code == 204
    assert client.delete(f"/v1/monitors/{ids['monitor']}", headers=h()).status_code == 204
    assert client.get(f"/v1/monitors/{ids['monitor']}", headers=h()).status_code == 404


def test_subresources(client, h, tree, fake_transport):
    ids = {k: v["id"] for k, v in tree.items()}
    r = client.get(f"/v1/pools/{ids['pool']}/monitors", headers=h())
    assert [m["id"] for m in r.get_json()["monitors"]] == [ids["monitor"]]
    r = client.get(f"/v1/pools/{ids['pool']}/status", headers=h())
    assert r.get_json()["members"][0]["member"]["id"] == ids["member"]
    member = f"/v1/pools/{ids['pool']}/pool_members/{ids['member']}"
    assert client.get(member + "/status", headers=h()).get_json()["member"]["id"] == ids["member"]
    assert client.get(member + "/monitors", headers=h()).get_json()["monitors"][0]["id"] == ids["monitor"]
    r = client.get(f"/v1/gslbs/{ids['gslb']}/pools", headers=h())
    assert r.get_json()["pools"][0]["id"] == ids["pool"] and r.get_json()["pools"][0]["priority"] == 1
    r = client.get(f"/v1/gslbs/{ids['gslb']}/status", headers=h())
    assert r.get_json()["gslb"]["id"] == ids["gslb"] and r.get_json()["pools"][0]["pool_id"] == ids["pool"]
    fake_transport.add_history(ids["gslb"], ids["member"], "p1", "OFFLINE")
    r = client.get(f"/v1/gslbs/{ids['gslb']}/history?member_id={ids['member']}", headers=h())
    entry = r.get_json()["history"][0]
    assert {"time", "subject", "from", "to", "reason", "evidence"} <= set(entry)
    assert entry["to"] == "OFFLINE" and entry["subject"] == {"type": "member", "id": ids["member"]}


def test_member_of_another_pool_is_404(client, h, tree):
    other = _mk(client, h, "/v1/pools", {"name": "other"})
    url = f"/v1/pools/{other['id']}/pool_members/{tree['member']['id']}"
    for method in ("get", "put", "delete"):
        kwargs = {"json": {"weight": 2}} if method == "put" else {}
        assert getattr(client, method)(url, headers=h(), **kwargs).status_code == 404
    r = client.get(f"/v1/pools/{uuid.uuid4()}/pool_members", headers=h())
    assert r.status_code == 404


def test_openapi_schemas_are_valid_json_schema_and_ops_unique(client):
    from jsonschema import Draft202012Validator

    doc = client.get("/v1/openapi.json").get_json()
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
    op_ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(op_ids) == len(set(op_ids)) == 44
    # the request schema is the validating model: an unknown field is refused by both
    assert doc["components"]["schemas"]["PoolCreate"]["additionalProperties"] is False
    params = {p["name"] for p in doc["paths"]["/v1/pools/{pool_id}/pool_members"]["get"]["parameters"]}
    assert {"pool_id", "limit", "marker", "sort_key", "sort_dir", "all_projects", "address"} <= params


def test_quotas_own_and_admin(client, h):
    admin = {"X-Project-Id": "ops", "X-Roles": "admin"}
    assert client.get("/v1/quotas", headers=h()).get_json()["gslbs"] == -1
    r = client.put("/v1/quotas/p1", json={"gslbs": 5}, headers=h())
    assert r.status_code == 403                                   # policy: admin only
    r = client.put("/v1/quotas/p1", json={"gslbs": 5, "pools": None}, headers=admin)
    assert r.status_code == 200 and r.get_json()["gslbs"] == 5
    assert client.get("/v1/quotas", headers=h()).get_json()["gslbs"] == 5
    r = client.put("/v1/quotas/p1", json={"gslbs": -2}, headers=admin)
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "gslbs"
    assert client.delete("/v1/quotas/p1", headers=admin).status_code == 204
    assert client.get("/v1/quotas/p1", headers=admin).get_json()["gslbs"] == -1


def test_the_dashboard_is_static_and_needs_no_token(client):
    page = client.get("/dashboard/")
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    assert b'<script src="dashboard.js">' in page.data
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/dashboard/dashboard.js").content_type.startswith("text/javascript")
    assert client.get("/dashboard/dashboard.css").status_code == 200
    assert client.get("/dashboard").status_code == 308
    assert client.get("/dashboard/passwd").status_code == 404
    paths = client.get("/v1/openapi.json").get_json()["paths"]
    assert not [p for p in paths if p.startswith("/dashboard")]


def test_every_operation_says_what_it_does(client):
    doc = client.get("/v1/openapi.json").get_json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and len(op["description"]) > len(op["summary"]) + 5, (method, path)


def test_every_operation_has_an_example_that_fits_its_schema(client):
    """Examples are real answers (scripts/openapi_examples.py); each must still validate."""
    from jsonschema import Draft202012Validator

    doc = client.get("/v1/openapi.json").get_json()

    def check(example, schema, where):
        resolver_doc = {**schema, "$defs": doc["components"]["schemas"]}
        text = __import__("json").dumps(resolver_doc).replace("#/components/schemas/", "#/$defs/")
        errors = list(Draft202012Validator(__import__("json").loads(text)).iter_errors(example))
        assert not errors, f"{where}: {errors[0].message}"

    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            examples = 0
            for p in op["parameters"]:
                if p["in"] == "path":
                    assert "example" in p, f"{where}: path parameter {p['name']} has no example"
                    examples += 1
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                assert "example" in body, f"{where}: request body has no example"
                check(body["example"], body["schema"], where + " request")
                examples += 1
            for status, resp in op["responses"].items():
                if not status.startswith("2"):
                    continue
                for media, content in resp.get("content", {}).items():
                    assert "example" in content, f"{where}: {status} {media} has no example"
                    if media == "application/json":
                        check(content["example"], content["schema"], f"{where} {status}")
                    examples += 1
            assert examples, f"{where} has no example at all"
