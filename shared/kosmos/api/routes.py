"""The URL map of API v1: each path and method names a handler and the policy
action that guards it. ``ROUTES`` is also what the OpenAPI document walks."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from pydantic import BaseModel
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from kosmos.api import handlers, quotas, subresources
from kosmos.api.context import ApiCall
from kosmos.api.queries import DeliveriesQuery, EmptyQuery, HistoryQuery
from kosmos.api.resources import GSLB, MEMBER, MONITOR, POOL, WEBHOOK, ResourceSpec
from kosmos.api.schemas import GslbPoolList, HistoryList, MonitorList, WebhookDeliveryList
from kosmos.contracts.quotas import Quota, QuotaUpdate
from kosmos.contracts.conductor import ApplianceList, GslbStatusTree, MemberStatusTree, PoolStatusTree

Handler = Callable[[ApiCall], Response]


@dataclass(frozen=True)
class Route:
    method: str
    path: str                     # werkzeug rule: /v1/pools/<uuid:id>
    handler: Handler | None       # None: served by the app itself (version, openapi)
    action: str                   # policy rule name
    op_id: str                    # OpenAPI operationId
    spec: ResourceSpec | None = None
    kind: str = ""                # list | create | get | update | delete | view
    public: bool = False
    response: type[BaseModel] | None = None   # views: the body model (CRUD: from spec)
    query: type[BaseModel] | None = None      # views: the query model
    body: type[BaseModel] | None = None       # views taking a body: its model


    @property
    def has_body(self) -> bool:
        return self.method in ("POST", "PUT")


def _crud(spec: ResourceSpec, collection: str) -> list[Route]:
    item = collection + "/<uuid:id>"
    t = spec.title
    return [
        Route("GET", collection, partial(handlers.list_, spec), f"{spec.name}:get_all",
              f"list{t}s", spec, "list"),
        Route("POST", collection, partial(handlers.create, spec), f"{spec.name}:post",
              f"create{t}", spec, "create"),
        Route("GET", item, partial(handlers.get, spec), f"{spec.name}:get_one",
              f"get{t}", spec, "get"),
        Route("PUT", item, partial(handlers.update, spec), f"{spec.name}:put",
              f"update{t}", spec, "update"),
        Route("DELETE", item, partial(handlers.delete, spec), f"{spec.name}:delete",
              f"delete{t}", spec, "delete"),
    ]


_MEMBERS = "/v1/pools/<uuid:pool_id>/pool_members"
_QUOTA = "/v1/quotas/<project_id>"

ROUTES: list[Route] = [
    Route("GET", "/", None, "version:get", "getVersions", kind="versions", public=True),
    Route("GET", "/v1", None, "version:get", "getVersionV1", kind="version", public=True),
    # For load balancers and probes: 200 when the api can serve, 503 otherwise
    Route("GET", "/healthcheck", None, "healthcheck:get", "getHealth", kind="healthcheck",
          public=True),
    Route("GET", "/v1/openapi.json", None, "openapi:get", "getOpenApi", kind="openapi",
          public=True),
    # The status dashboard: static assets, no token (the page calls the API with the
    # user's credentials); not part of the OpenAPI document
    Route("GET", "/dashboard/", None, "dashboard:get", "getDashboard", kind="dashboard",
          public=True),
    Route("GET", "/dashboard/<asset>", None, "dashboard:get", "getDashboardAsset",
          kind="dashboard", public=True),
    # Prometheus text format; a bearer token (settings.metrics_token) instead of Keystone,
    # as a scraper has no Keystone token
    Route("GET", "/metrics", None, "metrics:get", "getMetrics", kind="metrics", public=True),
    *_crud(MONITOR, "/v1/monitors"),
    *_crud(POOL, "/v1/pools"),
    Route("GET", "/v1/pools/<uuid:id>/monitors", subresources.pool_monitors, "pool:get_one",
          "listPoolMonitors", MONITOR, "view", response=MonitorList, query=EmptyQuery),
    Route("GET", "/v1/pools/<uuid:id>/status", subresources.pool_status, "pool:get_one",
          "getPoolStatus", POOL, "view", response=PoolStatusTree, query=EmptyQuery),
    *_crud(MEMBER, _MEMBERS),
    Route("GET", _MEMBERS + "/<uuid:id>/status", subresources.member_status,
          "member:get_one", "getPoolMemberStatus", MEMBER, "view",
          response=MemberStatusTree, query=EmptyQuery),
    Route("GET", _MEMBERS + "/<uuid:id>/monitors", subresources.member_monitors,
          "member:get_one", "listPoolMemberMonitors", MONITOR, "view",
          response=MonitorList, query=EmptyQuery),
    *_crud(GSLB, "/v1/gslbs"),
    Route("GET", "/v1/gslbs/<uuid:id>/pools", subresources.gslb_pools, "gslb:get_one",
          "listGslbPools", POOL, "view", response=GslbPoolList, query=EmptyQuery),
    Route("GET", "/v1/gslbs/<uuid:id>/status", subresources.gslb_status, "gslb:get_one",
          "getGslbStatus", GSLB, "view", response=GslbStatusTree, query=EmptyQuery),
    Route("GET", "/v1/gslbs/<uuid:id>/history", subresources.gslb_history, "gslb:get_one",
          "listGslbHistory", GSLB, "view", response=HistoryList, query=HistoryQuery),
    # Which appliance drivers are installed and which routing each serves
    Route("GET", "/v1/appliances", subresources.appliances, "appliance:get_all",
          "listAppliances", None, "view", response=ApplianceList, query=EmptyQuery),
    # Quotas: the caller's own, and (admin) any project's, changed or reset to the defaults
    Route("GET", "/v1/quotas", quotas.own, "quota:get", "getOwnQuota", None, "view",
          response=Quota, query=EmptyQuery),
    Route("GET", _QUOTA, quotas.show, "quota:get_project", "getQuota", None, "view",
          response=Quota, query=EmptyQuery),
    Route("PUT", _QUOTA, quotas.update, "quota:put", "setQuota", None, "view",
          response=Quota, query=EmptyQuery, body=QuotaUpdate),
    Route("DELETE", _QUOTA, quotas.reset, "quota:delete", "resetQuota", None, "view",
          query=EmptyQuery),
    *_crud(WEBHOOK, "/v1/webhooks"),
    Route("GET", "/v1/webhooks/<uuid:id>/deliveries", subresources.webhook_deliveries,
          "webhook:get_one", "listWebhookDeliveries", WEBHOOK, "view",
          response=WebhookDeliveryList, query=DeliveriesQuery),
]


def url_map() -> Map:
    """A werkzeug Map whose endpoints index ``ROUTES``; a trailing slash is tolerated."""
    return Map([Rule(r.path, endpoint=i, methods=[r.method])
                for i, r in enumerate(ROUTES)], strict_slashes=False, merge_slashes=False)
