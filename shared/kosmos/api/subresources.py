"""Read-only views below a resource: status trees, monitors, a GSLB's pools, history."""
from __future__ import annotations

from werkzeug.wrappers import Response

from kosmos.contracts.operations import APPLIANCE_LIST, GSLB_POOLS, GSLB_STATUS, HISTORY_LIST, MEMBER_MONITORS, MEMBER_STATUS, POOL_MONITORS, POOL_STATUS, WEBHOOK_DELIVERIES, crud
from kosmos.api import render
from kosmos.api.context import ApiCall
from kosmos.api.errors import json_response
from kosmos.api.handlers import member_in_path
from kosmos.api.queries import DeliveriesQuery, EmptyQuery, HistoryQuery, parse_query
from kosmos.api.schemas import WebhookDeliveryList
from kosmos.api.resources import MEMBER, MONITOR, POOL


def _no_query(call: ApiCall) -> None:
    parse_query(EmptyQuery, call.args)


def pool_status(call: ApiCall) -> Response:
    _no_query(call)
    tree = call.conductor.invoke(POOL_STATUS, {"id": call.params["id"]}, call.context())
    return json_response(tree.model_dump(mode="json"))


def pool_monitors(call: ApiCall) -> Response:
    _no_query(call)
    monitors = call.conductor.invoke(POOL_MONITORS, {"id": call.params["id"]}, call.context())
    items = [render.record(MONITOR, m, call.base_url) for m in monitors]
    return json_response(render.page(MONITOR.plural, items, None))


def member_status(call: ApiCall) -> Response:
    _no_query(call)
    member_in_path(call, MEMBER)
    tree = call.conductor.invoke(MEMBER_STATUS, {"id": call.params["id"]}, call.context())
    return json_response(tree.model_dump(mode="json"))


def member_monitors(call: ApiCall) -> Response:
    _no_query(call)
    member_in_path(call, MEMBER)
    monitors = call.conductor.invoke(MEMBER_MONITORS, {"id": call.params["id"]}, call.context())
    items = [render.record(MONITOR, m, call.base_url) for m in monitors]
    return json_response(render.page(MONITOR.plural, items, None))


def gslb_pools(call: ApiCall) -> Response:
    _no_query(call)
    links = call.conductor.invoke(GSLB_POOLS, {"id": call.params["id"]}, call.context())
    items = []
    for link in links:
        body = render.record(POOL, link.pool, call.base_url)
        body["priority"] = link.priority
        items.append(body)
    return json_response(render.page(POOL.plural, items, None))


def appliances(call: ApiCall) -> Response:
    _no_query(call)
    listing = call.conductor.invoke(APPLIANCE_LIST, {}, call.context())
    return json_response(listing.model_dump(mode="json"))


def gslb_status(call: ApiCall) -> Response:
    _no_query(call)
    tree = call.conductor.invoke(GSLB_STATUS, {"id": call.params["id"]}, call.context())
    return json_response(tree.model_dump(mode="json"))


def gslb_history(call: ApiCall) -> Response:
    query = parse_query(HistoryQuery, call.args)
    ctx = call.context()
    call.conductor.invoke(crud("gslb", "get"), {"id": call.params["id"]}, ctx)  # 404 if not the caller's
    args = {"gslb_id": call.params["id"], "limit": query.limit}
    for name in ("member_id", "marker"):
        if getattr(query, name):
            args[name] = getattr(query, name)
    for name in ("since", "until"):
        if getattr(query, name):
            args[name] = getattr(query, name).isoformat()
    result = call.conductor.invoke(HISTORY_LIST, args, ctx)
    items = [render.history_entry(e) for e in result.items]
    nxt = render.next_link(call.base_url, call.path, dict(call.args.items()), result.next_marker)
    return json_response(render.page("history", items, nxt))


def webhook_deliveries(call: ApiCall) -> Response:
    """The webhook's latest deliveries, newest first, with each one's outcome."""
    query = parse_query(DeliveriesQuery, call.args)
    listing = call.conductor.invoke(WEBHOOK_DELIVERIES,
                                    {"id": call.params["id"], "limit": query.limit},
                                    call.context())
    return json_response(WebhookDeliveryList(deliveries=listing.items).model_dump(mode="json"))
