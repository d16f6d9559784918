"""The api's main paths on both conductor backends (SQLite and PostgreSQL)."""
from __future__ import annotations

from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth


def test_lifecycle_on_each_backend(conductor, function_app):
    client = function_app(ApiApp(conductor, NoAuth())).test_client()
    h = {"X-Project-Id": "p1"}
    mon = client.post("/v1/monitors", json={"type": "HTTP", "expected_codes": ["200-204"]}, headers=h)
    assert mon.status_code == 201, mon.get_json()
    pool = client.post("/v1/pools", json={"monitor_ids": [mon.get_json()["id"]]}, headers=h).get_json()
    members = [client.post(f"/v1/pools/{pool['id']}/pool_members",
                           json={"address": f"198.51.100.{i}", "name": f"m{i}"}, headers=h)
               for i in range(1, 6)]
    assert all(m.status_code == 201 for m in members)
    page1 = client.get(f"/v1/pools/{pool['id']}/pool_members?limit=2&sort_key=name", headers=h).get_json()
    assert [m["name"] for m in page1["pool_members"]] == ["m1", "m2"]
    page2 = client.get(page1["links"]["next"].replace("http://localhost", ""), headers=h).get_json()
    assert [m["name"] for m in page2["pool_members"]] == ["m3", "m4"]
    g = client.post("/v1/gslbs", json={"fqdn": "x.example.org.", "zone_name": "example.org.",
                                       "pools": [{"pool_id": pool["id"], "priority": 2}]}, headers=h)
    assert g.status_code == 201
    gid = g.get_json()["id"]
    tree = client.get(f"/v1/gslbs/{gid}/status", headers=h).get_json()
    assert len(tree["pools"][0]["members"]) == 5
    assert client.put(f"/v1/gslbs/{gid}", json={"version": 99}, headers=h).status_code == 409
    assert client.get(f"/v1/gslbs/{gid}", headers={"X-Project-Id": "p2"}).status_code == 404
    assert client.delete(f"/v1/pools/{pool['id']}", headers=h).status_code == 409
    assert client.delete(f"/v1/gslbs/{gid}", headers=h).status_code == 204
    assert client.get(f"/v1/gslbs/{gid}/history", headers=h).status_code == 404
