"""``/v1/quotas``: a project's quotas (its own; an admin: any project's, and changes)."""
from __future__ import annotations

from werkzeug.wrappers import Response

from kosmos.api.context import ApiCall
from kosmos.api.errors import json_response
from kosmos.api.handlers import validate_body
from kosmos.api.queries import EmptyQuery, parse_query
from kosmos.contracts.operations import QUOTA_DELETE, QUOTA_GET, QUOTA_SET
from kosmos.contracts.quotas import Quota, QuotaUpdate


def _quota(quota: Quota) -> Response:
    return json_response(quota.model_dump(mode="json"))


def own(call: ApiCall) -> Response:
    parse_query(EmptyQuery, call.args)
    return _quota(call.conductor.invoke(QUOTA_GET, {}, call.context()))


def show(call: ApiCall) -> Response:
    parse_query(EmptyQuery, call.args)
    return _quota(call.conductor.invoke(QUOTA_GET, {"project_id": call.params["project_id"]},
                                        call.context()))


def update(call: ApiCall) -> Response:
    parse_query(EmptyQuery, call.args)
    values = validate_body(QuotaUpdate, call.body).model_dump(exclude_unset=True)
    return _quota(call.conductor.invoke(QUOTA_SET, {"project_id": call.params["project_id"],
                                                    "values": values}, call.context()))


def reset(call: ApiCall) -> Response:
    parse_query(EmptyQuery, call.args)
    call.conductor.invoke(QUOTA_DELETE, {"project_id": call.params["project_id"]}, call.context())
    return Response(status=204)
