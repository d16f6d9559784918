"""The resources of API v1 described once: names, models, filters, links.

Handlers, routes, list queries and the OpenAPI document all read these specs,
so adding a field or filter happens in one place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from kosmos.api import schemas
from kosmos.contracts import resources as r
from kosmos.contracts import webhooks as wh


@dataclass(frozen=True, eq=False)
class ResourceSpec:
    name: str                     # conductor prefix and policy target: "monitor"
    plural: str                   # JSON list key: "monitors"
    title: str                    # OpenAPI tag and model prefix: "Monitor"
    create: type[BaseModel]
    update: type[BaseModel]
    record: type[BaseModel]
    response: type[BaseModel]
    list_response: type[BaseModel]
    filters: dict[str, type] = field(default_factory=dict)
    sort_keys: tuple[str, ...] = ("created_at", "updated_at", "name", "id")

    def self_path(self, record: dict[str, Any]) -> str:
        """The path of ``record`` below the API root."""
        if self.name == "member":
            return f"/v1/pools/{record['pool_id']}/pool_members/{record['id']}"
        return f"/v1/{self.plural}/{record['id']}"


_COMMON_FILTERS: dict[str, type] = {
    "name": str, "provisioning_status": str, "operating_status": str}

MONITOR = ResourceSpec(
    "monitor", "monitors", "Monitor", r.MonitorCreate, r.MonitorUpdate, r.Monitor,
    schemas.MonitorResponse, schemas.MonitorList,
    filters={**_COMMON_FILTERS, "type": str, "http_method": str, "delay": int, "port": int,
             "url_path": str, "insecure": bool},
    sort_keys=("created_at", "updated_at", "name", "id", "type", "delay"))

POOL = ResourceSpec(
    "pool", "pools", "Pool", r.PoolCreate, r.PoolUpdate, r.Pool,
    schemas.PoolResponse, schemas.PoolList, filters=dict(_COMMON_FILTERS))

MEMBER = ResourceSpec(
    "member", "pool_members", "PoolMember", r.MemberCreate, r.MemberUpdate, r.Member,
    schemas.MemberResponse, schemas.MemberList,
    filters={**_COMMON_FILTERS, "type": str, "address": str, "port": int, "region": str,
             "neutron_id": str, "weight": int, "admin_state_up": bool, "endpoints_status": str},
    sort_keys=("created_at", "updated_at", "name", "id", "type", "port", "weight"))

GSLB = ResourceSpec(
    "gslb", "gslbs", "Gslb", r.GslbCreate, r.GslbUpdate, r.Gslb,
    schemas.GslbResponse, schemas.GslbList,
    filters={**_COMMON_FILTERS, "fqdn": str, "zone_name": str, "all_down": str,
             "appliance": str, "publish_status": str, "ttl": int},
    sort_keys=("created_at", "updated_at", "name", "id", "fqdn", "zone_name", "ttl"))

WEBHOOK = ResourceSpec(
    "webhook", "webhooks", "Webhook", wh.WebhookCreate, wh.WebhookUpdate, wh.Webhook,
    schemas.WebhookResponse, schemas.WebhookList, filters={"name": str, "url": str})

SPECS: dict[str, ResourceSpec] = {s.name: s for s in (MONITOR, POOL, MEMBER, GSLB, WEBHOOK)}
