"""The conductor's operations, typed: each one's name, argument model and result.

Every operation the conductor serves is an ``Operation`` here (the conductor
registers its handler on it, ``kosmos.conductor.ops``; every caller sends it
through ``ConductorClient.invoke``), so an argument is checked against one
model on both sides of the wire. ``{r}`` below is one of ``monitor``, ``pool``,
``member``, ``gslb``, ``webhook``; records are the models of
``kosmos.contracts.resources`` (a webhook's secret is write-only), and lists
are ``{"items": [...], "next_marker": id | None}``.

Adding an operation: its argument model and ``Operation`` here, its handler in
a ``kosmos.conductor.ops`` module (``@op(THE_OPERATION)``), a test.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from kosmos.contracts.common import Region, StrictModel, UtcDatetime
from kosmos.contracts.dead_letters import DeadLetter
from kosmos.contracts.events import EndpointUpdate
from kosmos.contracts.health import HealthWrite, MemberStatusChange
from kosmos.contracts.history import HistoryEntryCreate
from kosmos.contracts.metrics import MetricUpdate
from kosmos.contracts.quotas import QuotaUpdate
from kosmos.contracts.resources import PublishStatus
from kosmos.contracts.webhooks import DeliveryOutcome

#: the most records one list call returns
MAX_LIMIT = 1000
#: a region name as the engine reports it (any printable text)
REGION_PATTERN = r"^[^\x00-\x1f\x7f]{1,255}$"
RESOURCES = ("monitor", "pool", "member", "gslb", "webhook")


class NoArgs(StrictModel):
    """An operation that takes nothing."""


class IdArgs(StrictModel):
    id: str = Field(..., min_length=1, max_length=64)


class CreateArgs(StrictModel):
    values: dict[str, Any]
    id: str | None = None


class UpdateArgs(StrictModel):
    id: str = Field(..., min_length=1, max_length=64)
    values: dict[str, Any]


class ListArgs(StrictModel):
    filters: dict[str, Any] = Field(default_factory=dict)
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    marker: str | None = None
    sort_key: str = "created_at"
    sort_dir: Literal["asc", "desc"] = "asc"


class MemberListArgs(ListArgs):
    pool_id: str | None = None


class BreakerViewArgs(StrictModel):
    monitors_window: float = Field(600.0, ge=0, le=86400,
                                   description="seconds: monitors changed this recently are named")
    summary: bool = Field(False, description="only count OFFLINE members and HELD GSLBs "
                                             "(one statement; enough to know it cannot trip)")
    suspect_regions: int = Field(0, ge=0, le=1000, description="members not yet OFFLINE whose "
                                 "last probe failed in at least this many regions are suspects "
                                 "(0: none)")
    suspect_window: float = Field(60.0, gt=0, le=3600,
                                  description="seconds: only probes this recent count")


class ChecksDueArgs(StrictModel):
    region: Region
    # The fingerprint of the checker's last answer: when nothing it depends on changed
    # since, the answer is {"unchanged": true} and costs one statement.
    known: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")


class EndpointsArgs(StrictModel):
    updates: list[EndpointUpdate] = Field(default_factory=list, max_length=10000)


class ContextArgs(StrictModel):
    member_ids: list[str] = Field(default_factory=list, max_length=20000)


class TreesArgs(StrictModel):
    gslb_ids: list[str] | None = Field(None, max_length=1000)
    limit: int = Field(100, ge=1, le=1000)
    marker: str | None = None


class SetAnswerArgs(StrictModel):
    id: str
    answers: list[str] = Field(..., max_length=1000)
    route: dict[str, Any] | None = Field(None, description="the route served (WEIGHTED, GEO)")
    answer_reason: str | None = Field(None, max_length=2048)
    publish_status: PublishStatus
    publish_reason: str | None = Field(None, max_length=2048)
    published_at: UtcDatetime | None = None
    history: list[HistoryEntryCreate] = Field(default_factory=list, max_length=1000)
    decided_from: PublishStatus | None = Field(
        None, description="the publish_status the decision was made from: a GSLB the circuit "
                          "breaker held since is left held (named in superseded)")


class SetAnswersArgs(StrictModel):
    items: list[SetAnswerArgs] = Field(..., max_length=500)


class TombstonesArgs(StrictModel):
    limit: int = Field(100, ge=1, le=1000)


class AckArgs(StrictModel):
    ids: list[str] = Field(default_factory=list, max_length=1000)


class UnconfirmedArgs(StrictModel):
    limit: int = Field(50, ge=1, le=1000)


class HealthWriteArgs(StrictModel):
    states: list[HealthWrite] = Field(default_factory=list, max_length=20000)
    members: list[MemberStatusChange] = Field(default_factory=list, max_length=20000)
    history: list[HistoryEntryCreate] = Field(default_factory=list, max_length=20000)


class HistoryAppendArgs(StrictModel):
    entries: list[HistoryEntryCreate] = Field(default_factory=list, max_length=10000)


class HistoryListArgs(StrictModel):
    gslb_id: str | None = None
    member_id: str | None = None
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    recorded_since: UtcDatetime | None = None   # stored at or after, whatever its ``time``
    limit: int = Field(100, ge=1, le=1000)
    marker: str | None = None


class LagArgs(StrictModel):
    region: str = Field(..., pattern=REGION_PATTERN)
    lag_s: float = Field(..., ge=0, le=86400 * 365)
    stale_results: int = Field(0, ge=0, le=10_000_000)
    observed_at: UtcDatetime


class MetricsAddArgs(StrictModel):
    updates: list[MetricUpdate] = Field(default_factory=list, max_length=1000)


class DeliveriesArgs(StrictModel):
    id: str = Field(..., min_length=1, max_length=64)
    limit: int = Field(50, ge=1, le=500)


class DeliveriesDueArgs(StrictModel):
    limit: int = Field(50, ge=1, le=500)
    lease_s: float = Field(30.0, gt=0, le=3600)


class DeliveriesReportArgs(StrictModel):
    outcomes: list[DeliveryOutcome] = Field(default_factory=list, max_length=500)



PROJECT_ID = r"^[A-Za-z0-9_.\-]+$"


class QuotaGetArgs(StrictModel):
    project_id: str | None = Field(None, min_length=1, max_length=64, pattern=PROJECT_ID,
                                   description="another project's (admin); default the caller's")


class QuotaSetArgs(StrictModel):
    project_id: str = Field(..., min_length=1, max_length=64, pattern=PROJECT_ID)
    values: QuotaUpdate


class ProjectArgs(StrictModel):
    project_id: str = Field(..., min_length=1, max_length=64, pattern=PROJECT_ID)


class DeadLetterRecordArgs(StrictModel):
    letters: list[DeadLetter] = Field(..., min_length=1, max_length=100)


class DeadLetterListArgs(StrictModel):
    limit: int = Field(100, ge=1, le=1000)
    since: UtcDatetime | None = None


class SetAnswersResult(BaseModel):
    stored: int
    missing: list[str] = Field(default_factory=list)
    superseded: list[str] = Field(default_factory=list)


class AckResult(BaseModel):
    acked: int


@dataclass(frozen=True)
class Operation:
    """One conductor operation: ``args`` validates what is sent (both sides); ``result``,
    when set, what comes back (else plain JSON, described in ``summary``)."""

    name: str
    args: type[BaseModel]
    summary: str
    result: type[BaseModel] | None = None

    def __str__(self) -> str:
        return self.name


def _op(name: str, args: type[BaseModel], summary: str,
        result: type[BaseModel] | None = None) -> Operation:
    operation = Operation(name, args, summary, result)
    CATALOGUE[name] = operation
    return operation


CATALOGUE: dict[str, Operation] = {}

# Resources: {r}.create {values, id?} → record (``values`` is the XCreate body, member: plus
# pool_id; a caller-chosen ``id`` makes a retry idempotent); {r}.get {id} → record;
# {r}.list → list; {r}.update {id, values} → record (``values.version``, when given, must be
# the stored one: StaleVersion); {r}.delete {id} → null (Conflict while in use; a GSLB's
# name is tombstoned for the engine to remove).
CRUD: dict[tuple[str, str], Operation] = {}
for _r in RESOURCES:
    for _verb, _args, _what in (("create", CreateArgs, "create"), ("get", IdArgs, "read"),
                                ("list", ListArgs, "list"), ("update", UpdateArgs, "update"),
                                ("delete", IdArgs, "delete")):
        if (_r, _verb) == ("member", "list"):
            _args = MemberListArgs   # members are listed per pool
        CRUD[(_r, _verb)] = _op(f"{_r}.{_verb}", _args, f"{_what} {_r} records")


def crud(kind: str, verb: str) -> Operation:
    """The ``{kind}.{verb}`` operation."""
    return CRUD[(kind, verb)]


POOL_MONITORS = _op("pool.monitors", IdArgs, "{id} → [Monitor] of the pool")
MEMBER_MONITORS = _op("member.monitors", IdArgs, "{id} → [Monitor] of the member's pool")
GSLB_POOLS = _op("gslb.pools", IdArgs, "{id} → [{pool, priority}] ordered by priority")
MEMBER_STATUS = _op("member.status", IdArgs, "{id} → MemberStatusTree")
POOL_STATUS = _op("pool.status", IdArgs, "{id} → PoolStatusTree")
GSLB_STATUS = _op("gslb.status", IdArgs, "{id} → GslbStatusTree")
HISTORY_LIST = _op("history.list", HistoryListArgs,
                   "list of HistoryEntry, newest first (recorded_since: stored since)")
PING = _op("conductor.ping", NoArgs, '{} → {"database": "ok"}: the conductor and its database answer')
APPLIANCE_LIST = _op("appliance.list", NoArgs,
                     '{} → {"appliances": [{name, default, routing, max_answers, per_query}]}')
METRICS_ADD = _op("metrics.add", MetricsAddArgs,
                  '{"added": n}: counters added to, gauges replaced')
METRICS_READ = _op("metrics.read", NoArgs,
                   '{"series": [{name, labels, kind, value, help}]}: stored and derived series')
WEBHOOK_DELIVERIES = _op("webhook.deliveries", DeliveriesArgs,
                         '{"items": [WebhookDelivery]}, newest first')
WEBHOOK_DUE = _op("webhook.deliveries.due", DeliveriesDueArgs,
                  '{"items": [{id, url, secret, body, attempt}], "next_due_at"}: due '
                  "deliveries claimed for lease_s, the attempt counted")
WEBHOOK_REPORT = _op("webhook.deliveries.report", DeliveriesReportArgs,
                     '{"next_due_at"}: each delivered, retried later, or given up')
CHECKS_DUE = _op("checks.due", ChecksDueArgs,
                 '{"checks": [CheckSpec], "fingerprint"} of every (member, monitor) probed from '
                 'the region; with known = the current fingerprint {"unchanged": true, ...}')
ENDPOINTS_SET = _op("endpoints.set", EndpointsArgs,
                    '{"changed": [member_id]}: members whose endpoints or status changed')
ENGINE_CONTEXT = _op("engine.context", ContextArgs,
                     '{"members", "pools", "monitors", "states", "gslbs"}: what the engine '
                     "needs to decide for those members")
HEALTH_WRITE = _op("health.write", HealthWriteArgs,
                   '{"written": n}; one transaction; a compare-and-set miss is StaleVersion '
                   "and writes nothing")
GSLB_TREES = _op("gslb.trees", TreesArgs, "list of GslbTree (every GSLB when ids are omitted)")
GSLB_SET_ANSWERS = _op("gslb.set_answers", SetAnswersArgs,
                       "one transaction; per GSLB only what changed, its history with it",
                       SetAnswersResult)
GSLB_TOMBSTONES = _op("gslb.tombstones", TombstonesArgs, "[Tombstone]: names to remove from appliances")
GSLB_TOMBSTONES_ACK = _op("gslb.tombstones.ack", AckArgs, '{"acked": n}', AckResult)
GSLB_UNCONFIRMED = _op("gslb.unconfirmed", UnconfirmedArgs,
                       '{"ids": [gslb_id]}: PENDING GSLBs pushed to an appliance that serves '
                       "later, longest waiting first")
HISTORY_APPEND = _op("history.append", HistoryAppendArgs, '{"appended": n}; idempotent on dedupe_key')
ENGINE_LAG = _op("engine.lag", LagArgs,
                 '{"recorded": bool}; one row per region, replaced only by a newer observed_at')
BREAKER_VIEW = _op("breaker.view", BreakerViewArgs,
                   '{"total_endpoints", "down", "monitors_changed", "held", "suspect"}: what the '
                   'circuit breaker judges; with summary: {"offline_members", "held_count", '
                   '"suspect_members"}')
QUOTA_GET = _op("quota.get", QuotaGetArgs, "Quota of the caller's project (an admin: any)")
QUOTA_SET = _op("quota.set", QuotaSetArgs, "Quota after the change (admin); null: the default")
QUOTA_DELETE = _op("quota.delete", ProjectArgs, "null: the project is back to the defaults (admin)")
DEAD_LETTER_RECORD = _op("dead_letter.record", DeadLetterRecordArgs,
                         '{"recorded": n}: new ones (a letter seen before is kept once)')
DEAD_LETTER_LIST = _op("dead_letter.list", DeadLetterListArgs,
                       '{"dead_letters": [...]}: newest first (admin)')
