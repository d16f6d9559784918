"""Fuzz every operation of the OpenAPI document: no 5xx, nothing off-schema."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from kosmos.api.openapi import document

OPS = [(m, p) for p, ops in document()["paths"].items() for m in ops]


@pytest.mark.parametrize("method,path", OPS, ids=[f"{m} {p}" for m, p in OPS])
def test_fuzz_operation(method, path, client, h, fuzzing):
    doc = client.get("/v1/openapi.json").get_json()
    op = doc["paths"][path][method]
    # A small tree so some drawn ids exist and reach the conductor's answers.
    mon = client.post("/v1/monitors", json={"type": "TCP"}, headers=h()).get_json()
    pool = client.post("/v1/pools", json={"monitor_ids": [mon["id"]]}, headers=h()).get_json()
    member = client.post(f"/v1/pools/{pool['id']}/pool_members", json={"address": "10.0.0.1"},
                         headers=h()).get_json()
    gslb = client.post("/v1/gslbs", json={"fqdn": "a.example.com.", "zone_name": "example.com.",
                                          "pools": [{"pool_id": pool["id"]}]}, headers=h()).get_json()
    ids = [mon["id"], pool["id"], member["id"], gslb["id"]]

    @settings(max_examples=15, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(req=fuzzing.request_strategy(doc, path, op, ids))
    def run(req):
        kwargs = {"query_string": req["query"], "headers": h("p1", req["roles"])}
        if req["body"] is not None or method.lower() in ("post", "put"):
            kwargs["json"] = req["body"]
        r = client.open(req["url"], method=method.upper(), **kwargs)
        fuzzing.check_response(doc, op, r.status_code, r.data)

    run()
