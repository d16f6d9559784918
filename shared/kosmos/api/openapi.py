"""The OpenAPI 3.1 document of API v1, generated from the route table and the
same pydantic models that validate requests and shape responses."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from kosmos.api.queries import list_query_model
from kosmos.api.routes import ROUTES, Route
from kosmos.api.schemas import ErrorBody, Health, OneVersion, VersionDocument

_REF = "#/components/schemas/{model}"
_ERRORS = {
    "400": "Invalid request: malformed JSON, unknown or invalid field (named in the message)",
    "401": "Missing, invalid or expired token",
    "403": "The caller's roles do not allow this",
    "404": "No such resource in the caller's project",
    "405": "Method not allowed on this path",
    "409": "Conflict: name or fqdn taken, resource in use, or stale version",
    "413": "Request body too large",
    "415": "Request body is not JSON",
    "503": "A dependency is down; retry after the Retry-After header",
}
_PATH_PARAM = re.compile(r"<(\w+:)?(\w+)>")


def _summary(op_id: str) -> str:
    """``listGslbHistory`` → ``List gslb history``."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", op_id).lower()
    return words[:1].upper() + words[1:]


def _openapi_path(rule: str) -> str:
    return _PATH_PARAM.sub(r"{\2}", rule)


def _query_model(route: Route) -> type[BaseModel] | None:
    if route.query is not None:
        return route.query
    if route.kind == "list" and route.spec is not None:
        return list_query_model(route.spec)
    return None


def _response_model(route: Route) -> tuple[str, type[BaseModel] | None]:
    if route.kind == "versions":
        return "200", VersionDocument
    if route.kind == "version":
        return "200", OneVersion
    if route.kind == "healthcheck":
        return "200", Health
    if route.kind == "list":
        return "200", route.spec.list_response
    if route.kind == "create":
        return "201", route.spec.response
    if route.kind in ("get", "update"):
        return "200", route.spec.response
    if route.kind == "delete" or (route.kind == "view" and route.method == "DELETE"):
        return "204", None
    return "200", route.response


def _models() -> list[tuple[type[BaseModel], str]]:
    out: list[tuple[type[BaseModel], str]] = [(ErrorBody, "serialization")]
    for route in ROUTES:
        if route.kind == "create":
            out.append((route.spec.create, "validation"))
        if route.kind == "update":
            out.append((route.spec.update, "validation"))
        if route.body is not None:
            out.append((route.body, "validation"))
        status, model = _response_model(route)
        if model is not None:
            out.append((model, "serialization"))
    seen, unique = set(), []
    for pair in out:
        if pair not in seen:
            seen.add(pair)
            unique.append(pair)
    return unique


def _parameters(route: Route) -> list[dict[str, Any]]:
    params = [{"name": name, "in": "path", "required": True,
               "schema": {"type": "string", "format": "uuid"} if converter == "uuid:" else
               {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_.\-]+$"}}
              for converter, name in _PATH_PARAM.findall(route.path)]
    model = _query_model(route)
    if model is not None:
        schema = model.model_json_schema(ref_template=_REF)
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            desc = prop.pop("description", None)
            prop.pop("title", None)
            options = [o for o in prop.pop("anyOf", []) if o != {"type": "null"}]
            if len(options) == 1:  # absent, not null, is how a query leaves a filter out
                prop.update(options[0])
            elif options:
                prop["anyOf"] = options
            if prop.get("default", 0) is None:
                del prop["default"]
            param = {"name": name, "in": "query", "required": False, "schema": prop}
            if desc:
                param["description"] = desc
            params.append(param)
    return params


def _json(ref: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": ref}}}


_SCHEMES = {
    "keystone": {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                 "description": "A Keystone token scoped to the project acted in"},
    "noauth": {"type": "apiKey", "in": "header", "name": "X-Project-Id",
               "description": "Local runner only: the project acted in, trusted as sent "
                              "(roles in X-Roles, default member)"},
}


def _options_by_type(schemas: dict[str, Any]) -> None:
    """Each installed check plugin's options schema, as the rule of MonitorCreate.options."""
    from kosmos.probes.registry import available, load_check_class

    rules = []
    for name in sorted(available()):
        try:
            model = load_check_class(name).options_model
        except Exception:  # noqa: BLE001 - a plugin that does not load is not offered
            continue
        options = model.model_json_schema(ref_template=_REF) if model else {
            "type": "object", "maxProperties": 0}
        options.pop("$defs", None)
        rules.append({"if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                      "then": {"properties": {"options": options},
                               **({"required": ["options"]} if model and options.get("required") else {})}})
    for title in ("MonitorCreate",):
        for key, schema in schemas.items():
            if key.startswith(title):
                schema["allOf"] = rules


#: Every operation's example: real requests and answers, written by
#: scripts/openapi_examples.py (a test checks each against its operation's schema).
EXAMPLES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).with_name("openapi_examples.json")).read_text())


def _path_values(route: Route, example: dict[str, Any]) -> dict[str, str]:
    """The example's path parameters, read off the path it was recorded at."""
    pattern = _PATH_PARAM.sub(lambda m: f"(?P<{m.group(2)}>[^/]+)", route.path)
    m = re.fullmatch(pattern, example.get("path", ""))
    return m.groupdict() if m else {}


@lru_cache(maxsize=2)
def document(auth: str = "keystone") -> dict[str, Any]:
    """The OpenAPI document; ``auth`` (keystone or noauth) is how this deployment
    authenticates, so the document says what a caller must send."""
    keys, defs = models_json_schema(_models(), ref_template=_REF)
    _options_by_type(defs.get("$defs", {}))
    error_ref = keys[(ErrorBody, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        if route.kind == "dashboard":
            continue   # HTML and scripts for browsers, not API operations
        op: dict[str, Any] = {"operationId": route.op_id, "summary": _summary(route.op_id),
                              "description": route.doc or _summary(route.op_id) + ".",
                              "tags": [route.spec.title if route.spec else "Meta"],
                              "parameters": _parameters(route)}
        if route.public:
            op["security"] = []
        for param, value in _path_values(route, EXAMPLES.get(route.op_id, {})).items():
            for p in op["parameters"]:
                if p["in"] == "path" and p["name"] == param:
                    p["example"] = value
        if route.kind == "create":
            op["parameters"].append({
                "name": "Idempotency-Key", "in": "header", "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                           "pattern": r"^[!-~](?:[ -~]{0,253}[!-~])?$"},
                "description": "Retrying a create with the same key returns the first result"})
        example = EXAMPLES.get(route.op_id, {})
        if route.has_body:
            model = route.body or (route.spec.create if route.kind == "create" else route.spec.update)
            op["requestBody"] = {"required": True, **_json(keys[(model, "validation")])}
            if "request" in example:
                op["requestBody"]["content"]["application/json"]["example"] = example["request"]
        status, model = _response_model(route)
        responses: dict[str, Any] = {status: {"description": "Success"}}
        if model is not None:
            responses[status].update(_json(keys[(model, "serialization")]))
        elif route.kind == "openapi":
            responses[status].update(_json({"type": "object", "required": ["openapi", "paths"]}))
        elif route.kind == "metrics":
            responses[status]["content"] = {"text/plain": {"schema": {"type": "string"}}}
        if "response" in example:
            for media in responses[status].get("content", {}).values():
                media["example"] = example["response"]
        if route.kind == "create":
            responses[status]["headers"] = {
                "Location": {"schema": {"type": "string"}, "description": "URL of the new resource"}}
        codes = ["400", "404", "405", "503"] if route.public else list(_ERRORS)
        if route.kind == "metrics":
            codes = ["401", "503"]
        if not route.has_body:
            codes = [c for c in codes if c not in ("413", "415")]
        for code in codes:
            responses[code] = {"description": _ERRORS[code], **_json(error_ref)}
        op["responses"] = responses
        paths.setdefault(_openapi_path(route.path), {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kosmos GSLB API", "version": "1.0",
                 "description": "Global server load balancing for OpenStack clouds."},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {auth: _SCHEMES[auth]},
        },
        "security": [{auth: []}],
    }
