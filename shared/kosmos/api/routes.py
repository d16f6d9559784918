"""The URL map of API v1: each path and method names a handler and the policy
action that guards it. ``ROUTES`` is also what the OpenAPI document walks."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from pydantic import BaseModel
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from kosmos.api import dead_letters, handlers, quotas, subresources
from kosmos.api.context import ApiCall
from kosmos.api.queries import DeadLettersQuery, DeliveriesQuery, EmptyQuery, HistoryQuery
from kosmos.api.resources import GSLB, MEMBER, MONITOR, POOL, WEBHOOK, ResourceSpec
from kosmos.api.schemas import GslbPoolList, HistoryList, MonitorList, WebhookDeliveryList
from kosmos.contracts.dead_letters import DeadLetterList
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
    doc: str = ""                             # OpenAPI description (CRUD: from the spec)


    @property
    def has_body(self) -> bool:
        return self.method in ("POST", "PUT")


def _crud(spec: ResourceSpec, collection: str) -> list[Route]:
    item = collection + "/<uuid:id>"
    t = spec.title
    n, ns = spec.name, spec.plural
    return [
        Route("GET", collection, partial(handlers.list_, spec), f"{spec.name}:get_all",
              f"list{t}s", spec, "list",
              doc=f"The project's {ns} (an admin's with all_projects: every project's), "
                  "filtered, sorted and paged by the query (limit, marker)."),
        Route("POST", collection, partial(handlers.create, spec), f"{spec.name}:post",
              f"create{t}", spec, "create",
              doc=f"Create a {n} in the caller's project. A create over the project's quota is "
                  "a 403 QuotaExceeded; retried with the same Idempotency-Key, the first "
                  "result comes back."),
        Route("GET", item, partial(handlers.get, spec), f"{spec.name}:get_one",
              f"get{t}", spec, "get", doc=f"One {n} of the caller's project."),
        Route("PUT", item, partial(handlers.update, spec), f"{spec.name}:put",
              f"update{t}", spec, "update",
              doc=f"Change a {n}: only the fields given. A `version` that is not the stored "
                  "one is a 409 StaleVersion and changes nothing."),
        Route("DELETE", item, partial(handlers.delete, spec), f"{spec.name}:delete",
              f"delete{t}", spec, "delete", doc=f"Delete a {n}; a 409 while something uses it."),
    ]


_MEMBERS = "/v1/pools/<uuid:pool_id>/pool_members"
_QUOTA = "/v1/quotas/<project_id>"

ROUTES: list[Route] = [
    Route("GET", "/", None, "version:get", "getVersions", kind="versions", doc="The API versions this service offers, with links.", public=True),
    Route("GET", "/v1", None, "version:get", "getVersionV1", kind="version", doc="The v1 version document.", public=True),
    # For load balancers and probes: 200 when the api can serve, 503 otherwise
    Route("GET", "/healthcheck", None, "healthcheck:get", "getHealth", kind="healthcheck", doc="200 while the api can serve (its conductor and database answer), 503 otherwise; for load balancers and probes.",
          public=True),
    Route("GET", "/v1/openapi.json", None, "openapi:get", "getOpenApi", kind="openapi", doc="This document: every operation, its parameters, bodies and answers.",
          public=True),
    # The status dashboard: static assets, no token (the page calls the API with the
    # user's credentials); not part of the OpenAPI document
    Route("GET", "/dashboard/", None, "dashboard:get", "getDashboard", kind="dashboard",
          public=True),
    Route("GET", "/dashboard/<asset>", None, "dashboard:get", "getDashboardAsset",
          kind="dashboard", public=True),
    # Prometheus text format; a bearer token (settings.metrics_token) instead of Keystone,
    # as a scraper has no Keystone token
    Route("GET", "/metrics", None, "metrics:get", "getMetrics", kind="metrics", doc="Every function's counters and gauges in the Prometheus text format.", public=True),
    *_crud(MONITOR, "/v1/monitors"),
    *_crud(POOL, "/v1/pools"),
    Route("GET", "/v1/pools/<uuid:id>/monitors", subresources.pool_monitors, "pool:get_one",
          "listPoolMonitors", MONITOR, "view", response=MonitorList, query=EmptyQuery,
          doc="The monitors the pool's members are checked with."),
    Route("GET", "/v1/pools/<uuid:id>/status", subresources.pool_status, "pool:get_one",
          "getPoolStatus", POOL, "view", response=PoolStatusTree, query=EmptyQuery,
          doc="The pool's status with every member's verdict per checker region."),
    *_crud(MEMBER, _MEMBERS),
    Route("GET", _MEMBERS + "/<uuid:id>/status", subresources.member_status,
          "member:get_one", "getPoolMemberStatus", MEMBER, "view",
          response=MemberStatusTree, query=EmptyQuery,
          doc="The member's status and its verdict, reason and latency per checker region and monitor."),
    Route("GET", _MEMBERS + "/<uuid:id>/monitors", subresources.member_monitors,
          "member:get_one", "listPoolMemberMonitors", MONITOR, "view",
          response=MonitorList, query=EmptyQuery,
          doc="The monitors the member is checked with."),
    *_crud(GSLB, "/v1/gslbs"),
    Route("GET", "/v1/gslbs/<uuid:id>/pools", subresources.gslb_pools, "gslb:get_one",
          "listGslbPools", POOL, "view", response=GslbPoolList, query=EmptyQuery,
          doc="The GSLB's pools in priority order."),
    Route("GET", "/v1/gslbs/<uuid:id>/status", subresources.gslb_status, "gslb:get_one",
          "getGslbStatus", GSLB, "view", response=GslbStatusTree, query=EmptyQuery,
          doc="The GSLB's answer, publish status, failover time, pools and members with their regional verdicts, and the engine's lag."),
    Route("GET", "/v1/gslbs/<uuid:id>/history", subresources.gslb_history, "gslb:get_one",
          "listGslbHistory", GSLB, "view", response=HistoryList, query=HistoryQuery,
          doc="Changes of the GSLB's answer, of its members and of their regional verdicts, newest first, each with its reason and evidence."),
    # Which appliance drivers are installed and which routing each serves
    Route("GET", "/v1/appliances", subresources.appliances, "appliance:get_all",
          "listAppliances", None, "view", response=ApplianceList, query=EmptyQuery,
          doc="The installed appliance drivers and the routing each serves."),
    # Quotas: the caller's own, and (admin) any project's, changed or reset to the defaults
    Route("GET", "/v1/quotas", quotas.own, "quota:get", "getOwnQuota", None, "view",
          response=Quota, query=EmptyQuery,
          doc="The caller's project quotas and what it holds."),
    Route("GET", _QUOTA, quotas.show, "quota:get_project", "getQuota", None, "view",
          response=Quota, query=EmptyQuery,
          doc="A project's quotas (admin)."),
    Route("PUT", _QUOTA, quotas.update, "quota:put", "setQuota", None, "view",
          response=Quota, query=EmptyQuery, body=QuotaUpdate,
          doc="Set a project's quotas (admin); null puts the deployment's default back."),
    Route("DELETE", _QUOTA, quotas.reset, "quota:delete", "resetQuota", None, "view",
          query=EmptyQuery,
          doc="Put every quota of a project back to the deployment's defaults (admin)."),
    Route("GET", "/v1/dead_letters", dead_letters.listing, "dead_letter:get_all",
          "listDeadLetters", None, "view", response=DeadLetterList, query=DeadLettersQuery,
          doc="Events the platform gave up delivering after their retries (ticks, batches, "
              "results, changes, reconciles), newest first, with where each was going and the "
              "last error (admin)."),
    *_crud(WEBHOOK, "/v1/webhooks"),
    Route("GET", "/v1/webhooks/<uuid:id>/deliveries", subresources.webhook_deliveries,
          "webhook:get_one", "listWebhookDeliveries", WEBHOOK, "view",
          response=WebhookDeliveryList, query=DeliveriesQuery,
          doc="The webhook's latest deliveries with their outcome."),
]


def url_map() -> Map:
    """A werkzeug Map whose endpoints index ``ROUTES``; a trailing slash is tolerated."""
    return Map([Rule(r.path, endpoint=i, methods=[r.method])
                for i, r in enumerate(ROUTES)], strict_slashes=False, merge_slashes=False)
