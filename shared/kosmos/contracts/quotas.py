"""Quotas per project: how many of each resource a project may hold (-1: unlimited)."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kosmos.contracts.common import JSON_NUMBER, RecordModel, StrictModel

#: quota field → the resource it counts
RESOURCES = {"gslbs": "gslb", "pools": "pool", "members": "member", "monitors": "monitor",
             "webhooks": "webhook"}
Limit = Annotated[int, Field(ge=-1, le=1_000_000), JSON_NUMBER]


class QuotaUpdate(StrictModel):
    """An admin's change: a number (-1: unlimited), or null for the deployment's default."""

    gslbs: Limit | None = None
    pools: Limit | None = None
    members: Limit | None = None
    monitors: Limit | None = None
    webhooks: Limit | None = None


class Quota(RecordModel):
    project_id: str
    gslbs: int
    pools: int
    members: int
    monitors: int
    webhooks: int
    in_use: dict[str, int] = Field(default_factory=dict, description="What the project holds now")
