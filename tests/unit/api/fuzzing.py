"""Property-based requests drawn from the api's own OpenAPI document.

Shared by the unit fuzz (fake conductor) and the integration fuzz (real
conductor): ``operations(doc)`` lists every (method, path, operation);
``request_strategy`` draws path ids, query parameters and JSON bodies from
the document's schemas (``from_schema``: the JSON Schema subset pydantic
emits), mixed with arbitrary JSON;
``check_response`` asserts no 5xx, a documented status, and a body that
validates against the document's schema for that status.
"""
from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

_PARAM = re.compile(r"{(\w+)}")


def inline(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with every ``#/components/schemas/X`` reference replaced by X."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = inline(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
            rest = {k: inline(v, defs) for k, v in schema.items() if k != "$ref"}
            return {**target, **rest}
        return {k: inline(v, defs) for k, v in schema.items()}
    if isinstance(schema, list):
        return [inline(v, defs) for v in schema]
    return schema


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid for ``schema`` (references inlined), sometimes with an unknown key.

    hypothesis-jsonschema would do this, but its releases lag Hypothesis'
    internals; pydantic's schemas use a small subset that is quick to cover.
    """
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(s) for s in schema[key]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        lo = schema.get("minimum", schema.get("exclusiveMinimum", -(2**40) - 1) + 1)
        hi = schema.get("maximum", schema.get("exclusiveMaximum", 2**40 + 1) - 1)
        return st.integers(min_value=lo, max_value=hi)
    if kind == "number":
        return st.floats(min_value=schema.get("minimum", schema.get("exclusiveMinimum")),
                         max_value=schema.get("maximum", schema.get("exclusiveMaximum")),
                         exclude_min="exclusiveMinimum" in schema,
                         exclude_max="exclusiveMaximum" in schema,
                         allow_nan=False, allow_infinity=False)
    if kind == "string":
        lo, hi = schema.get("minLength", 0), min(schema.get("maxLength", 40), 80)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda v: lo <= len(v) <= schema.get("maxLength", 10**9))
        return st.text(min_size=lo, max_size=max(lo, hi))
    if kind == "array":
        items = from_schema(schema.get("items", {}))
        return st.lists(items, min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 5), 5))
    if kind == "object" or "properties" in schema:
        return _object(schema)
    return _JSON


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    extra = schema.get("additionalProperties")

    @st.composite
    def draw(d: st.DrawFn) -> dict[str, Any]:
        out = {}
        for name, sub in props.items():
            if name in required or d(st.booleans()):
                out[name] = d(from_schema(sub))
        if not props and isinstance(extra, dict):
            out.update(d(st.dictionaries(st.text(min_size=1, max_size=10), from_schema(extra),
                                         max_size=3)))
        if d(st.integers(0, 9)) == 0:  # now and then a field nobody declared
            out[d(st.text(min_size=1, max_size=8))] = d(_JSON)
        return out

    return draw()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in doc["paths"].items()
            for method, op in ops.items()]


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                     | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=10)


def request_strategy(doc: dict[str, Any], path: str, op: dict[str, Any],
                     known_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A strategy of ``{"url", "body", "roles"}`` for one operation."""
    defs = doc["components"]["schemas"]
    ids = st.sampled_from(known_ids) if known_ids else st.uuids().map(str)
    path_ids = {name: st.one_of(ids, st.uuids().map(str)) for name in _PARAM.findall(path)}
    valid_query: dict[str, st.SearchStrategy[Any]] = {}
    wild_query: dict[str, st.SearchStrategy[Any]] = {}
    for p in op.get("parameters", []):
        if p["in"] == "query":
            valid = from_schema(inline(p["schema"], defs)).map(_query_text)
            valid_query[p["name"]] = st.one_of(st.none(), valid)
            wild_query[p["name"]] = st.one_of(st.none(), valid, st.text(max_size=8))
    valid_body: st.SearchStrategy[Any] = st.none()
    wild_body: st.SearchStrategy[Any] = st.none()
    if "requestBody" in op:
        valid_body = from_schema(inline(op["requestBody"]["content"]["application/json"]["schema"],
                                        defs))
        wild_body = st.one_of(valid_body, _JSON)

    @st.composite
    def draw(d: st.DrawFn) -> dict[str, Any]:
        # Half the requests stay within the schema so they get past validation and
        # exercise the answers (and their schemas); the other half go anywhere.
        tame = d(st.booleans())
        url = path.format(**{k: d(v) for k, v in path_ids.items()})
        query = valid_query if tame else wild_query
        args = {k: d(v) for k, v in query.items()}
        args = {k: v for k, v in args.items() if v is not None}
        return {"url": url, "query": args, "body": d(valid_body if tame else wild_body),
                "roles": d(st.sampled_from(["member", "reader", "admin"]))}

    return draw()


def check_response(doc: dict[str, Any], op: dict[str, Any], status: int, raw: bytes) -> None:
    """No 5xx; the status is documented; the body matches its documented schema."""
    text = raw.decode("utf-8", "replace")
    assert status < 500, f"{status}: {text[:500]}"
    assert "Traceback" not in text
    documented = op["responses"].get(str(status))
    assert documented is not None, f"undocumented status {status}: {text[:300]}"
    content = documented.get("content")
    if content is None:
        assert raw == b"", "a body where none is documented"
        return
    if "text/plain" in content:   # the metrics exposition: sample lines, no JSON
        assert all(line.startswith("#") or line.startswith("kosmos_")
                   for line in text.splitlines() if line), text[:300]
        return
    schema = {**content["application/json"]["schema"], "components": doc["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(json.loads(raw)),
                    key=lambda e: list(e.path))
    assert not errors, f"{status} breaks its schema: {errors[0].message} at {list(errors[0].path)}"


def fuzz_operation(client: Any, h: Any, method: str, path: str, max_examples: int) -> None:
    """Draw requests for one operation of the document and check every answer.

    A small tree (monitor, pool, member, GSLB) is created first so some drawn
    ids exist and reach the conductor's answers, not only its 404s.
    """
    from hypothesis import HealthCheck, given, settings

    doc = client.get("/v1/openapi.json").get_json()
    op = doc["paths"][path][method]
    mon = client.post("/v1/monitors", json={"type": "TCP"}, headers=h()).get_json()
    pool = client.post("/v1/pools", json={"monitor_ids": [mon["id"]]}, headers=h()).get_json()
    member = client.post(f"/v1/pools/{pool['id']}/pool_members", json={"address": "10.0.0.1"},
                         headers=h()).get_json()
    gslb = client.post("/v1/gslbs", json={"fqdn": "a.example.com.", "zone_name": "example.com.",
                                          "pools": [{"pool_id": pool["id"]}]}, headers=h()).get_json()
    ids = [mon["id"], pool["id"], member["id"], gslb["id"]]

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(req=request_strategy(doc, path, op, ids))
    def run(req: dict[str, Any]) -> None:
        kwargs = {"query_string": req["query"], "headers": h("p1", req["roles"])}
        if req["body"] is not None or method.lower() in ("post", "put"):
            kwargs["json"] = req["body"]
        r = client.open(req["url"], method=method.upper(), **kwargs)
        check_response(doc, op, r.status_code, r.data)

    run()
