"""The conductor's wire contract: one JSON envelope over HTTP POST.

Request  ``{"schema_version": 1, "op": "<name>", "context": {...}, "args": {...}}``
Response ``{"result": ...}`` with HTTP 200, or ``{"error": {...}}`` (``KosmosError.to_wire``)
with the error's HTTP code; the client re-raises the same error type.

Scoping: ``context.project_id`` owns every row it creates and is the only
project it may read or change, unless ``context.is_admin`` (with
``all_projects`` for lists). Another project's row is NotFound. The checker
and engine call with ``CallContext.system()``.

Operation catalogue (``args`` → ``result``). ``{r}`` is one of ``monitor``,
``pool``, ``member``, ``gslb``, ``webhook`` (``kosmos.contracts.webhooks``; its
secret is write-only). Records are the models of
``kosmos.contracts.resources``; lists are ``{"items": [...], "next_marker": id|None}``.

Resources
  {r}.create   {values, id?}                → record. ``values`` is the XCreate body
               (member: plus ``pool_id``). ``id`` chosen by the caller makes a retry
               idempotent: the same id with the same values returns the stored row.
               Errors: ValidationError (unknown monitor/pool id, field named),
               Conflict (fqdn taken).
  {r}.get      {id}                         → record
  {r}.list     {filters?, limit?=100 (≤1000), marker?, sort_key?="created_at",
               sort_dir?="asc", pool_id? (members)} → list
  {r}.update   {id, values}                 → record. ``values`` is the XUpdate body;
               its ``version``, when given, must equal the stored one (StaleVersion).
               Every write bumps ``version``.
  {r}.delete   {id}                         → null. Conflict when in use (a monitor used
               by a pool, a pool used by a GSLB). Deleting a GSLB, or changing its
               fqdn, leaves a tombstone so the engine removes the old name.
  pool.monitors    {id} → [Monitor]
  member.monitors  {id} → [Monitor]
  gslb.pools       {id} → [{"pool": Pool, "priority": n}] ordered by priority

Status and history (read)
  member.status {id} → MemberStatusTree     pool.status {id} → PoolStatusTree
  gslb.status   {id} → GslbStatusTree
  history.list  {gslb_id?, member_id?, since?, until?, recorded_since?, limit?, marker?}
                → list of HistoryEntry, newest first (``recorded_since``: stored since)

Liveness
  conductor.ping  {} → {"database": "ok"}: the conductor and its database answer
  appliance.list  {} → {"appliances": [{name, default, routing, max_answers, per_query}]}

Metrics (``kosmos.contracts.metrics``)
  metrics.add   {updates: [{name, labels, kind, value}]} → {"added": n}: counters added
                to, gauges replaced
  metrics.read  {} → {"series": [{name, labels, kind, value, help}]}: the stored series
                and gauges read from the state

Webhooks (the outbox: a stored change owes its deliveries in the same transaction)
  webhook.deliveries         {id, limit?=50} → {"items": [WebhookDelivery]}, newest first
  webhook.deliveries.due     {limit?, lease_s?} → {"items": [{id, url, secret, body,
                             attempt}], "next_due_at"}: due deliveries claimed for
                             ``lease_s``, the attempt counted
  webhook.deliveries.report  {outcomes: [{id, ok, status_code?, error?}]} →
                             {"next_due_at"}: delivered, retried later, or given up

Checker
  checks.due            {region, known?} → {"checks": [CheckSpec], "fingerprint"}: every
                        (member, monitor) of every pool probed from ``region`` (pool.regions
                        null or holds it); with ``known`` equal to the current fingerprint
                        → {"unchanged": true, "fingerprint"} (one statement)
  endpoints.set         {updates: [EndpointUpdate]} → {"changed": [member_id]}; writes
                        only members whose endpoints or status changed; older
                        ``observed_at`` than stored changes nothing; does not
                        bump the member's ``version``

Engine
  engine.context        {member_ids} → {"members", "pools", "monitors", "states",
                        "gslbs"}: what the engine needs to decide for those members
                        (their pools with monitor_ids/regions, the monitors, every
                        HealthState row of the members, the GSLBs using the pools)
  health.write          {states: [HealthWrite], members: [MemberStatusChange],
                        history: [HistoryEntryCreate]} → {"written": n}; one
                        transaction; a compare-and-set miss raises StaleVersion and
                        writes nothing (the engine re-reads and retries); a member's
                        status is compared and bumped on its ``status_version``,
                        never its ``version``
  gslb.trees            {gslb_ids?: [...], limit?, marker?} → list of GslbTree (all GSLBs
                        when ids omitted, paginated)
  gslb.set_answers      {items: [{id, answers, answer_reason, publish_status, publish_reason?,
                        published_at?, history: [HistoryEntryCreate]}]} (≤ 500) →
                        {"stored": n, "missing": [id]}; one transaction; per GSLB
                        writes only what changed, its history appended with it
  gslb.tombstones       {limit?} → [Tombstone]: names to remove from appliances
  gslb.tombstones.ack   {ids} → {"acked": n}
  gslb.unconfirmed      {limit?} → {"ids": [gslb_id]}: PENDING GSLBs with a push time (an
                        appliance that serves later accepted it), longest waiting first
  history.append        {entries: [HistoryEntryCreate]} → {"appended": n}; idempotent
                        on ``dedupe_key``
  engine.lag            {region, lag_s, stale_results, observed_at} → {"recorded": bool}; one
                        row per region, replaced only by a newer ``observed_at``
                        (``gslb.status`` lists every region's row as ``engine_lag``)
  breaker.view          {monitors_window?, summary?} → {"total_endpoints", "down": [{member_id,
                        addresses, port, region, monitor_ids}], "monitors_changed":
                        {id: updated_at}, "held": [gslb_id]}: what the circuit breaker
                        judges (distinct endpoints of enabled members in monitored pools);
                        with ``summary``: {"offline_members", "held_count"} only

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
