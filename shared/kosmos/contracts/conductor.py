"""The conductor's wire contract: one JSON envelope over HTTP POST.

Request  ``{"schema_version": 1, "op": "<name>", "context": {...}, "args": {...}}``
Response ``{"result": ...}`` with HTTP 200, or ``{"error": {...}}`` (``KosmosError.to_wire``)
with the error's HTTP code; the client re-raises the same error type.

Scoping: ``context.project_id`` owns every row it creates and is the only
project it may read or change, unless ``context.is_admin`` (with
``all_projects`` for lists). Another project's row is NotFound. The checker
and engine call with ``CallContext.system()``.

The operations, each with its argument model and result, are
``kosmos.contracts.operations``; the conductor registers a handler on each and
callers send them with ``ConductorClient.invoke``.

Writes that may change answers (a GSLB; a pool, member or monitor a GSLB
uses) announce the GSLBs concerned with ``kosmos.engine.decide`` once their
transaction has committed.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from kosmos.contracts.common import RecordModel, StrictModel, UtcDatetime
from kosmos.contracts.health import RegionStatus
from kosmos.contracts.resources import FailoverTime, Gslb, Member, Pool

CONDUCTOR_PATH = "/v1/call"
#: Where the platform's brokers send events that exhausted their retries (a CloudEvent
#: in binary or structured mode); the conductor keeps them for ``GET /v1/dead_letters``.
DEAD_LETTERS_PATH = "/v1/dead_letters"


class CallContext(StrictModel):
    project_id: str | None = None
    user_id: str | None = None
    roles: list[str] = Field(default_factory=list)
    is_admin: bool = False
    all_projects: bool = False
    request_id: str | None = None

    @classmethod
    def system(cls, request_id: str | None = None) -> "CallContext":
        """The checker's and engine's identity: every project, no scoping."""
        return cls(project_id=None, roles=["admin"], is_admin=True, all_projects=True,
                   request_id=request_id)


class ConductorRequest(StrictModel):
    schema_version: Literal[1] = 1
    op: str = Field(..., min_length=1, max_length=64)
    context: CallContext = Field(default_factory=CallContext)
    args: dict[str, Any] = Field(default_factory=dict)


class MemberStatusTree(RecordModel):
    member: Member
    operating_status: str
    status_reason: str | None = None
    regions: list[RegionStatus] = Field(default_factory=list)


class PoolStatusTree(RecordModel):
    pool: Pool
    operating_status: str
    members: list[MemberStatusTree] = Field(default_factory=list)


class GslbPoolStatus(RecordModel):
    pool_id: str
    priority: int
    operating_status: str
    members: list[MemberStatusTree] = Field(default_factory=list)


class EngineLag(RecordModel):
    """How late one region's results reached the engine, as last recorded."""

    region: str
    lag_s: float = Field(..., description="age of a batch's newest result when the engine "
                                          "handled it (probe time, queueing and delivery)")
    stale_results: int = Field(0, description="results of that batch already older than their "
                                              "monitor's freshness window: kept, not news")
    observed_at: UtcDatetime


class GslbStatusTree(RecordModel):
    gslb: Gslb
    operating_status: str
    answers: list[str] = Field(default_factory=list)
    answers_changed_at: UtcDatetime | None = None
    publish_status: str
    failover_time: FailoverTime | None = None
    pools: list[GslbPoolStatus] = Field(default_factory=list)
    engine_lag: list[EngineLag] = Field(default_factory=list)


class ApplianceInfo(RecordModel):
    """One installed appliance driver and what it can serve (``GET /v1/appliances``)."""

    name: str
    default: bool = Field(..., description="the deployment's default for GSLBs naming none")
    routing: list[str] = Field(..., description="routing policies it serves")
    max_answers: int | None = Field(..., description="most addresses per answer; null: no limit")
    per_query: bool = Field(..., description="it picks each response itself (WEIGHTED, GEO)")


class ApplianceList(RecordModel):
    appliances: list[ApplianceInfo]


class GslbTreePool(RecordModel):
    pool: Pool
    priority: int
    members: list[Member] = Field(default_factory=list)


class GslbTree(RecordModel):
    """A GSLB with its pools in priority order and their members (engine's view)."""

    gslb: Gslb
    pools: list[GslbTreePool] = Field(default_factory=list)
    served_route: dict[str, Any] | None = Field(
        None, description="WEIGHTED and GEO: the route stored with the answers "
                          "(kosmos.domain.routing.Route.to_dict)")


class Tombstone(RecordModel):
    id: str
    project_id: str
    gslb_id: str
    fqdn: str
    zone_name: str
    appliance: str | None = None
    created_at: UtcDatetime
