"""Unit-test parts for the api: an in-memory conductor behind the transport port.

``FakeConductorTransport`` answers the catalogue operations the api uses with
the conductor's scoping and conflict rules, so the api's validation, policy,
auth, routing and rendering can be tested fast and without a database. The
integration tests run the same api against the real conductor.
"""
from __future__ import annotations

import importlib.util
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError as PydanticError

from kosmos.adapters.conductor_client import ConductorClient, Transport
from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth
from kosmos.api.entry import INSTANCE
from kosmos.contracts.conductor import CallContext
from kosmos.contracts.resources import CREATE_MODELS
from kosmos.errors import (Conflict, Forbidden, KosmosError, NotFound, StaleVersion,
                           Unavailable, ValidationError, from_pydantic)

ROOT = Path(__file__).resolve().parents[3]
MAIN = ROOT / "functions" / "api" / "main.py"


class FakeConductorTransport(Transport):
    """An in-memory conductor. ``down = True`` makes every call answer 503."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, dict[str, Any]]] = {
            "monitor": {}, "pool": {}, "member": {}, "gslb": {}, "webhook": {}}
        self.history: list[dict[str, Any]] = []
        self.quotas: dict[str, dict[str, Any]] = {}
        self.down = False
        self.ops: list[str] = []

    # -- transport port
    def send(self, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.ops.append(envelope["op"])
        if self.down:
            return 503, Unavailable("database down", retry_after=2.0).to_wire()
        ctx = CallContext.model_validate(envelope["context"])
        try:
            return 200, {"result": self._op(envelope["op"], envelope["args"], ctx)}
        except KosmosError as exc:
            return exc.code, exc.to_wire()

    # -- helpers
    def _visible(self, ctx: CallContext, row: dict[str, Any]) -> bool:
        return ctx.is_admin or row["project_id"] == ctx.project_id

    def _get(self, kind: str, rid: str, ctx: CallContext) -> dict[str, Any]:
        row = self.rows[kind].get(rid)
        if row is None or not self._visible(ctx, row):
            raise NotFound(f"{kind} {rid} not found")
        return row

    def _validate(self, kind: str, values: dict[str, Any]) -> dict[str, Any]:
        try:
            return CREATE_MODELS[kind].model_validate(values).model_dump(mode="json")
        except PydanticError as exc:
            raise from_pydantic(exc) from None

    def _check_refs(self, kind: str, values: dict[str, Any], ctx: CallContext) -> None:
        if kind == "pool":
            for mid in values.get("monitor_ids") or []:
                if mid not in self.rows["monitor"] or not self._visible(ctx, self.rows["monitor"][mid]):
                    raise ValidationError(f"monitor_ids: unknown monitor {mid}", field="monitor_ids")
        if kind == "gslb":
            for ref in values.get("pools") or []:
                pid = ref["pool_id"]
                if pid not in self.rows["pool"] or not self._visible(ctx, self.rows["pool"][pid]):
                    raise ValidationError(f"pools: unknown pool {pid}", field="pools")
            for other in self.rows["gslb"].values():
                if other["fqdn"] == values["fqdn"] and other["id"] != values.get("id"):
                    raise Conflict(f"fqdn {values['fqdn']} is taken", field="fqdn")

    # -- operations
    def _op(self, op: str, args: dict[str, Any], ctx: CallContext) -> Any:
        kind, _, verb = op.partition(".")
        now = datetime.now(timezone.utc).isoformat()
        if op.startswith("quota."):
            project = args.get("project_id") or ctx.project_id
            if op != "quota.get" and not ctx.is_admin:
                raise Forbidden("only an admin changes quotas")
            if op == "quota.delete":
                self.quotas.pop(project, None)
                return None
            if op == "quota.set":
                self.quotas.setdefault(project, {}).update(args["values"])
            limits = {f: -1 for f in ("gslbs", "pools", "members", "monitors", "webhooks")}
            limits.update({k: v for k, v in self.quotas.get(project, {}).items() if v is not None})
            return {"project_id": project, **limits,
                    "in_use": {f: 0 for f in limits}}
        if op == "dead_letter.list":
            if not ctx.is_admin:
                raise Forbidden("only an admin reads dead letters")
            return {"dead_letters": []}
        if op == "appliance.list":
            return {"appliances": [{"name": "local", "default": True, "per_query": True,
                                    "routing": ["PRIORITY", "WEIGHTED", "GEO"], "max_answers": None}]}
        if op == "history.list":
            items = [h for h in self.history if h["gslb_id"] == args.get("gslb_id")
                     and (not args.get("member_id") or h["member_id"] == args["member_id"])]
            items.sort(key=lambda h: h["time"], reverse=True)
            return {"items": items[: args.get("limit", 100)], "next_marker": None}
        if verb == "create":
            values = dict(args["values"])
            pool_id = values.pop("pool_id", None)
            if args["id"] in self.rows[kind]:
                return self.rows[kind][args["id"]]
            clean = self._validate(kind, values)
            clean["id"] = args["id"]
            self._check_refs(kind, clean, ctx)
            row = {**clean, "project_id": ctx.project_id, "created_at": now, "updated_at": now,
                   "version": 1, "provisioning_status": "ACTIVE",
                   "operating_status": "NO_MONITOR"}
            if kind == "member":
                row["pool_id"] = pool_id
                row["endpoints"] = [row["address"]] if row.get("address") else []
            if kind == "gslb":
                row["publish_status"] = "PENDING"
            self.rows[kind][row["id"]] = row
            return row
        if verb == "get":
            return self._get(kind, args["id"], ctx)
        if verb == "list":
            rows = [r for r in self.rows[kind].values()
                    if (ctx.is_admin and ctx.all_projects) or r["project_id"] == ctx.project_id]
            if kind == "member":
                rows = [r for r in rows if r["pool_id"] == args.get("pool_id")]
            for k, v in (args.get("filters") or {}).items():
                rows = [r for r in rows if r.get(k) == v]
            key = args.get("sort_key", "created_at")
            rows.sort(key=lambda r: (str(r.get(key)), r["id"]),
                      reverse=args.get("sort_dir") == "desc")
            if args.get("marker"):
                ids = [r["id"] for r in rows]
                rows = rows[ids.index(args["marker"]) + 1:] if args["marker"] in ids else []
            limit = args.get("limit", 100)
            nxt = rows[limit - 1]["id"] if len(rows) > limit else None
            return {"items": rows[:limit], "next_marker": nxt}
        if verb == "update":
            row = self._get(kind, args["id"], ctx)
            values = dict(args["values"])
            version = values.pop("version", None)
            if version is not None and version != row["version"]:
                raise StaleVersion(f"version {version} is stale; stored is {row['version']}")
            fields = set(CREATE_MODELS[kind].model_fields)
            merged = {k: v for k, v in row.items() if k in fields}
            merged.update(values)
            clean = self._validate(kind, merged)
            clean["id"] = row["id"]
            self._check_refs(kind, clean, ctx)
            row.update(clean, updated_at=now, version=row["version"] + 1)
            return row
        if verb == "delete":
            row = self._get(kind, args["id"], ctx)
            if kind == "monitor" and any(row["id"] in p["monitor_ids"] for p in self.rows["pool"].values()):
                raise Conflict("monitor is used by a pool")
            if kind == "pool" and any(row["id"] == ref["pool_id"] for g in self.rows["gslb"].values()
                                      for ref in g["pools"]):
                raise Conflict("pool is used by a GSLB")
            del self.rows[kind][row["id"]]
            return None
        if op == "conductor.ping":
            return {"database": "ok"}
        if op == "metrics.read":
            return {"series": [{"name": "kosmos_gslbs", "labels": 'publish_status="SYNCED"',
                                "kind": "gauge", "value": float(len(self.rows["gslb"])),
                                "help": "GSLBs by publish status"}]}
        if op == "webhook.deliveries":
            self._get("webhook", args["id"], ctx)
            return {"items": []}
        if op == "pool.monitors":
            pool = self._get("pool", args["id"], ctx)
            return [self.rows["monitor"][m] for m in pool["monitor_ids"]]
        if op == "member.monitors":
            member = self._get("member", args["id"], ctx)
            return [self.rows["monitor"][m] for m in self.rows["pool"][member["pool_id"]]["monitor_ids"]]
        if op == "gslb.pools":
            gslb = self._get("gslb", args["id"], ctx)
            return [{"pool": self.rows["pool"][r["pool_id"]], "priority": r["priority"]}
                    for r in sorted(gslb["pools"], key=lambda r: r["priority"])]
        if op == "member.status":
            return self._member_tree(self._get("member", args["id"], ctx))
        if op == "pool.status":
            pool = self._get("pool", args["id"], ctx)
            return {"pool": pool, "operating_status": pool["operating_status"],
                    "members": [self._member_tree(m) for m in self.rows["member"].values()
                                if m["pool_id"] == pool["id"]]}
        if op == "gslb.status":
            gslb = self._get("gslb", args["id"], ctx)
            return {"gslb": gslb, "operating_status": gslb["operating_status"],
                    "answers": gslb.get("answers", []), "publish_status": gslb["publish_status"],
                    "pools": [{"pool_id": r["pool_id"], "priority": r["priority"],
                               "operating_status": "NO_MONITOR", "members": []}
                              for r in gslb["pools"]]}
        raise ValidationError(f"unknown op {op}", field="op")

    def _member_tree(self, member: dict[str, Any]) -> dict[str, Any]:
        return {"member": member, "operating_status": member["operating_status"], "regions": []}

    def add_history(self, gslb_id: str, member_id: str, project_id: str, to: str) -> None:
        self.history.append({
            "id": str(uuid.uuid4()), "project_id": project_id, "gslb_id": gslb_id,
            "member_id": member_id, "subject_type": "member", "subject_id": member_id,
            "time": datetime.now(timezone.utc).isoformat(), "from_state": "ONLINE",
            "to_state": to, "reason": "2 of 3 regions say DOWN", "evidence": {"regions": 3}})


@pytest.fixture
def fake_transport() -> FakeConductorTransport:
    return FakeConductorTransport()


@pytest.fixture
def api_app(fake_transport: FakeConductorTransport) -> ApiApp:
    return ApiApp(ConductorClient(fake_transport), NoAuth())


@pytest.fixture
def make_client():
    """``make_client(app)``: a functions-framework test client of functions/api/main.py
    serving ``app``."""
    from functions_framework import create_app

    def make(app: ApiApp):
        INSTANCE.use(app)
        return create_app(target="kosmos_api", source=str(MAIN), signature_type="http").test_client()

    yield make
    INSTANCE.use(None)


@pytest.fixture
def client(api_app: ApiApp, make_client):
    """The test client of the api over the fake conductor, noauth."""
    return make_client(api_app)


def headers(project: str = "p1", roles: str = "member") -> dict[str, str]:
    return {"X-Project-Id": project, "X-Roles": roles}


@pytest.fixture
def h():
    """Header builder: ``h("p1", "reader")``."""
    return headers


def load_main_module():
    """functions/api/main.py under a name of its own (every function has a main.py)."""
    spec = importlib.util.spec_from_file_location("kosmos_function_api_main", MAIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fuzzing():
    """tests/unit/api/fuzzing.py (OpenAPI-driven request strategies and checks)."""
    return _load("kosmos_api_fuzzing", Path(__file__).with_name("fuzzing.py"))
