"""CRUD handlers shared by the four resources: each is one conductor call
(plus, for pool members, a read of the pool or member named in the path).

A handler takes the resource spec and an ApiCall and returns a Response;
errors are raised and turned into HTTP in ``kosmos.api.errors``.
"""
from __future__ import annotations

import re
import uuid
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from werkzeug.wrappers import Response

from kosmos.contracts.operations import ENDPOINTS_SET, crud
from kosmos.api import render
from kosmos.api.policy import credentials
from kosmos.api.context import ApiCall
from kosmos.api.errors import json_response
from kosmos.api.queries import filters_of, list_query_model, parse_query
from kosmos.adapters.endpoint_lookup import NEUTRON_TYPES
from kosmos.api.resources import ResourceSpec
from kosmos.contracts.conductor import CallContext
from kosmos.contracts.resources import Member
from kosmos.errors import NotFound, ValidationError, from_pydantic


def validate_body(model: type[BaseModel], body: Any) -> BaseModel:
    """``body`` validated by ``model``; the 400 names the first bad field."""
    if not isinstance(body, dict):
        raise ValidationError("the request body must be a JSON object", field="body")
    try:
        return model.model_validate(body)
    except PydanticError as exc:
        err = from_pydantic(exc)
    err.message = err.message.replace("Value error, ", "")
    for d in err.details:
        d["message"] = str(d.get("message", "")).replace("Value error, ", "")
    if err.field is None:
        # A rule across fields (timeout < delay): name the first field it mentions.
        hits = [(m.start(), name) for name in model.model_fields
                 if (m := re.search(rf"\b{re.escape(name)}\b", err.message))]
        if hits:
            err.field = min(hits)[1]
            for d in err.details:
                d["field"] = d.get("field") or err.field
    raise err


def member_in_path(call: ApiCall, spec: ResourceSpec) -> Member | None:
    """For members, the stored member if it belongs to the pool in the path (else 404)."""
    if spec.name != "member":
        return None
    member = call.conductor.invoke(crud("member", "get"), {"id": call.params["id"]}, call.context())
    if member.pool_id != call.params["pool_id"]:
        raise NotFound("pool member not found")
    return member


def neutron_object_of_project(call: ApiCall, member: dict[str, Any]) -> Any:
    """A neutron member's port or load balancer looked up in its region before anything
    is stored: 404 naming ``neutron_id`` when it does not exist or another project owns
    it (a member may only point at its own project's object); an unreachable region
    lets the write through (STALE, with the reason). The lookup (an ``EndpointUpdate``)
    or None for other members."""
    if call.resolve_endpoints is None or member.get("type") not in NEUTRON_TYPES:
        return None
    update = call.resolve_endpoints(member)
    if update.status == "ERROR":
        raise NotFound(f"neutron_id: {update.reason}", field="neutron_id")
    return update


def resolve_endpoints(call: ApiCall, member: Member, found: Any = None) -> Member:
    """A neutron member with its addresses (``found`` before the write, else looked up
    now) stored, and read back.

    The checker refreshes them every window anyway; resolving here means a new
    member is served from its first verdict. An unreachable region leaves the
    member STALE with the reason: the write itself still succeeds.
    """
    if call.resolve_endpoints is None or member.type not in NEUTRON_TYPES:
        return member
    update = found if found is not None else call.resolve_endpoints(
        member.model_dump(mode="json"))
    update = update.model_copy(update={"member_id": member.id})
    call.conductor.invoke(ENDPOINTS_SET, {"updates": [update.model_dump(mode="json")]},
                        CallContext.system(call.request_id))
    return call.conductor.invoke(crud("member", "get"), {"id": member.id}, call.context())


def list_(spec: ResourceSpec, call: ApiCall) -> Response:
    query = parse_query(list_query_model(spec), call.args)
    if query.all_projects:
        call.policy.enforce(f"{spec.name}:get_all_global", credentials(call.principal))
    args: dict[str, Any] = {"filters": filters_of(spec, query), "limit": query.limit,
                            "sort_key": query.sort_key, "sort_dir": query.sort_dir}
    if query.marker:
        args["marker"] = query.marker
    ctx = call.context(all_projects=query.all_projects)
    if spec.name == "member":
        call.conductor.invoke(crud("pool", "get"), {"id": call.params["pool_id"]}, ctx)  # 404 if absent
        args["pool_id"] = call.params["pool_id"]
    result = call.conductor.invoke(crud(spec.name, "list"), args, ctx)
    items = [render.record(spec, stored, call.base_url) for stored in result.items]
    nxt = render.next_link(call.base_url, call.path, dict(call.args.items()), result.next_marker)
    return json_response(render.page(spec.plural, items, nxt))


# Ids derived from an Idempotency-Key live in their own UUID namespace.
_IDEMPOTENCY = uuid.UUID("5b0f1f8e-6a43-4a8e-9a0c-2f4c7d0e9b61")


def create(spec: ResourceSpec, call: ApiCall) -> Response:
    values = validate_body(spec.create, call.body).model_dump(mode="json")
    found = None
    if spec.name == "member":
        call.conductor.invoke(crud("pool", "get"), {"id": call.params["pool_id"]}, call.context())
        values["pool_id"] = call.params["pool_id"]
        found = neutron_object_of_project(call, {**values, "id": "", "endpoints": [],
                                                 "project_id": call.context().project_id})
    args: dict[str, Any] = {"values": values}
    if call.idempotency_key:
        # A retried POST with the same key gets the same id, so the conductor returns
        # the row it stored the first time instead of creating a second one.
        project = call.principal.project_id if call.principal else ""
        args["id"] = str(uuid.uuid5(_IDEMPOTENCY, f"{project}/{spec.name}/{call.idempotency_key}"))
    raw = call.conductor.invoke(crud(spec.name, "create"), args, call.context())
    if spec.name == "member":
        raw = resolve_endpoints(call, raw, found)
    body = render.record(spec, raw, call.base_url)
    return json_response(body, 201, {"Location": body["links"]["self"]})


def get(spec: ResourceSpec, call: ApiCall) -> Response:
    stored = member_in_path(call, spec) or call.conductor.invoke(
        crud(spec.name, "get"), {"id": call.params["id"]}, call.context())
    return json_response(render.record(spec, stored, call.base_url))


def update(spec: ResourceSpec, call: ApiCall) -> Response:
    values = validate_body(spec.update, call.body).model_dump(mode="json", exclude_unset=True)
    stored = member_in_path(call, spec)
    found = None
    if stored is not None and {"region", "neutron_id", "type"} & values.keys():
        found = neutron_object_of_project(call, {**stored.model_dump(mode="json"), **values})
    raw = call.conductor.invoke(crud(spec.name, "update"), {"id": call.params["id"], "values": values},
                              call.context())
    if found is not None:
        raw = resolve_endpoints(call, raw, found)
    return json_response(render.record(spec, raw, call.base_url))


def delete(spec: ResourceSpec, call: ApiCall) -> Response:
    member_in_path(call, spec)
    call.conductor.invoke(crud(spec.name, "delete"), {"id": call.params["id"]}, call.context())
    return json_response(None, 204)
