"""Write the OpenAPI document's examples from real answers: shared/kosmos/api/openapi_examples.json.

Runs the api in this process on a fresh SQLite database (its conductor
in-process, noauth), walks every operation once in a realistic order and keeps
each request body and answer, with ids, times and URLs as the API gave them. The
document attaches them to its operations; a test checks each still validates
against its operation's schema, so an example cannot drift from the API.

    .venv/bin/python scripts/openapi_examples.py
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "shared" / "kosmos" / "api" / "openapi_examples.json"
MEMBER = {"X-Project-Id": "0ef5c7a3a6a04b3c9d5d3f1f7c2b8e11", "X-Roles": "member",
          "X-User-Id": "9a1c3e5f7b2d4f6a8c0e1b3d5f7a9c2e"}
ADMIN = {**MEMBER, "X-Roles": "admin"}


def main() -> int:
    work = Path(tempfile.mkdtemp())
    os.environ.update({"KOSMOS_DATABASE_URL": f"sqlite:///{work / 'examples.sqlite3'}",
                       "KOSMOS_APPLIANCE": "local", "KOSMOS_LOG_LEVEL": "WARNING",
                       "KOSMOS_API_PUBLIC_URL": "https://gslb.example.org"})
    from werkzeug.test import Client
    from werkzeug.wrappers import Request

    from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
    from kosmos.api.app import ApiApp
    from kosmos.api.auth import NoAuth
    from kosmos.conductor.app import build_handler
    from kosmos.contracts.operations import DEAD_LETTER_RECORD, METRICS_ADD

    handler = build_handler()
    app = ApiApp(ConductorClient(InProcessTransport(handler)), NoAuth())
    client = Client(lambda environ, start: app(Request(environ))(environ, start))
    examples: dict[str, dict] = {}

    def call(op_id: str, method: str, path: str, body: dict | None = None,
             headers: dict = MEMBER) -> dict:
        resp = client.open(path, method=method, json=body, headers=headers,
                           base_url="https://gslb.example.org")
        if resp.status_code >= 400:
            raise SystemExit(f"{op_id}: {method} {path} answered {resp.status_code}: "
                             f"{resp.get_data(as_text=True)}")
        entry: dict = {"status": resp.status_code, "path": path.split("?")[0]}
        if body is not None:
            entry["request"] = body
        if resp.mimetype == "application/json":
            entry["response"] = resp.get_json()
        elif resp.mimetype == "text/plain":
            entry["response"] = "\n".join(resp.get_data(as_text=True).splitlines()[:12]) + "\n"
        examples[op_id] = entry
        return entry.get("response") or {}

    call("getVersions", "GET", "/")
    call("getVersionV1", "GET", "/v1")
    call("getHealth", "GET", "/healthcheck")
    handler({"op": METRICS_ADD.name,
             "context": {"project_id": None, "roles": ["admin"], "is_admin": True},
             "args": {"updates": [
                 {"name": "kosmos_probes_total", "labels": 'region="RegionOne"', "value": 52310},
                 {"name": "kosmos_probes_failed_total", "labels": 'region="RegionOne"',
                  "value": 212},
                 {"name": "kosmos_answer_changes_total", "value": 17},
                 {"name": "kosmos_engine_lag_seconds", "labels": 'region="RegionOne"',
                  "kind": "gauge", "value": 0.21}]}})
    call("getMetrics", "GET", "/metrics")
    doc = call("getOpenApi", "GET", "/v1/openapi.json")
    examples["getOpenApi"]["response"] = {"openapi": doc["openapi"], "info": doc["info"],
                                          "paths": {"/v1/gslbs": {"get": {"operationId": "listGslbs"}}}}
    mon = call("createMonitor", "POST", "/v1/monitors", {
        "name": "web-http", "type": "HTTP", "delay": 10, "timeout": 3, "max_retries": 2,
        "max_retries_down": 3, "http_method": "GET", "url_path": "/healthz",
        "expected_codes": ["200-299"]})
    call("getMonitor", "GET", f"/v1/monitors/{mon['id']}")
    call("listMonitors", "GET", "/v1/monitors?limit=20")
    call("updateMonitor", "PUT", f"/v1/monitors/{mon['id']}", {"delay": 5, "timeout": 2})
    pool = call("createPool", "POST", "/v1/pools", {
        "name": "web-eu", "description": "web servers in the EU regions",
        "monitor_ids": [mon["id"]]})
    call("getPool", "GET", f"/v1/pools/{pool['id']}")
    call("listPools", "GET", "/v1/pools")
    call("updatePool", "PUT", f"/v1/pools/{pool['id']}", {"description": "EU web servers"})
    call("listPoolMonitors", "GET", f"/v1/pools/{pool['id']}/monitors")
    members = f"/v1/pools/{pool['id']}/pool_members"
    member = call("createPoolMember", "POST", members, {
        "name": "web-1", "address": "203.0.113.10", "port": 443, "region": "RegionOne"})
    call("createPoolMember", "POST", members, {
        "name": "web-2", "address": "198.51.100.20", "port": 443, "region": "RegionTwo"})
    call("getPoolMember", "GET", f"{members}/{member['id']}")
    call("listPoolMembers", "GET", members)
    call("updatePoolMember", "PUT", f"{members}/{member['id']}", {"name": "web-1a"})
    call("getPoolMemberStatus", "GET", f"{members}/{member['id']}/status")
    call("listPoolMemberMonitors", "GET", f"{members}/{member['id']}/monitors")
    call("getPoolStatus", "GET", f"/v1/pools/{pool['id']}/status")
    gslb = call("createGslb", "POST", "/v1/gslbs", {
        "name": "www", "fqdn": "www.example.org.", "zone_name": "example.org.", "ttl": 30,
        "pools": [{"pool_id": pool["id"], "priority": 1}], "all_down": "ALL"})
    call("getGslb", "GET", f"/v1/gslbs/{gslb['id']}")
    call("listGslbs", "GET", "/v1/gslbs?fqdn=www.example.org.")
    call("updateGslb", "PUT", f"/v1/gslbs/{gslb['id']}", {"ttl": 60})
    call("listGslbPools", "GET", f"/v1/gslbs/{gslb['id']}/pools")
    call("getGslbStatus", "GET", f"/v1/gslbs/{gslb['id']}/status")
    call("listGslbHistory", "GET", f"/v1/gslbs/{gslb['id']}/history?limit=20")
    call("listAppliances", "GET", "/v1/appliances")
    call("getOwnQuota", "GET", "/v1/quotas")
    project = MEMBER["X-Project-Id"]
    call("setQuota", "PUT", f"/v1/quotas/{project}", {"gslbs": 100, "members": 1000}, ADMIN)
    call("getQuota", "GET", f"/v1/quotas/{project}", headers=ADMIN)
    call("resetQuota", "DELETE", f"/v1/quotas/{project}", headers=ADMIN)
    handler({"op": DEAD_LETTER_RECORD.name,
             "context": {"project_id": None, "roles": ["admin"], "is_admin": True},
             "args": {"letters": [{
                 "event_id": "5b0e7c1e-8f7d-4a8e-9a57-3c1f0b6c2d11",
                 "event_type": "kosmos.check.results", "source": "//kosmos/checker",
                 "subject": "RegionTwo", "event_time": "2026-12-02T10:15:30Z",
                 "destination": "http://kosmos-engine.gslb.svc.cluster.local",
                 "error_code": 503, "error": "the conductor is unavailable; retry later",
                 "data": {"region": "RegionTwo", "checker_id": "kosmos-checker-regiontwo-1",
                          "results": []}}]}})
    call("listDeadLetters", "GET", "/v1/dead_letters?limit=10", headers=ADMIN)
    hook = call("createWebhook", "POST", "/v1/webhooks", {
        "name": "ops-pager", "url": "https://hooks.example.org/kosmos",
        "events": ["gslb.answer.changed", "member.status.changed"],
        "secret": "a-long-random-shared-secret-0123456789"})
    call("getWebhook", "GET", f"/v1/webhooks/{hook['id']}")
    call("listWebhooks", "GET", "/v1/webhooks")
    call("updateWebhook", "PUT", f"/v1/webhooks/{hook['id']}", {"events": ["gslb.answer.changed"]})
    call("listWebhookDeliveries", "GET", f"/v1/webhooks/{hook['id']}/deliveries?limit=10")
    call("deleteWebhook", "DELETE", f"/v1/webhooks/{hook['id']}")
    call("deleteGslb", "DELETE", f"/v1/gslbs/{gslb['id']}")
    call("deletePoolMember", "DELETE", f"{members}/{member['id']}")
    call("deletePool", "DELETE", f"/v1/pools/{pool['id']}")
    call("deleteMonitor", "DELETE", f"/v1/monitors/{mon['id']}")
    OUT.write_text(json.dumps(examples, indent=1, sort_keys=True) + "\n")
    print(f"{len(examples)} operations' examples written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
