"""The conductor's operations, typed: each one's name, argument model and result.

Every operation the conductor serves is an ``Operation`` here (the conductor
registers its handler on it, ``kosmos.conductor.ops``; every caller sends it
through ``ConductorClient.invoke``), so an argument is checked against one
model on both sides of the wire and the caller gets the answer as the
operation's result type. ``{r}`` below is one of ``monitor``, ``pool``,
``member``, ``gslb``, ``webhook``; records are the models of
``kosmos.contracts.resources`` (a webhook's secret is write-only), lists are
``results.Page``, small answers the models of ``kosmos.contracts.results``.

Adding an operation: its argument model and ``Operation`` here (its result
model in ``results`` unless one exists), its handler in a
``kosmos.conductor.ops`` module (``@op(THE_OPERATION)``), a test.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model
from pydantic import ValidationError as PydanticValidationError

from kosmos.contracts.common import NO_NUL, Description, Region, StrictModel, UtcDatetime
from kosmos.contracts.conductor import (ApplianceList, GslbStatusTree, GslbTree,
                                        MemberStatusTree, PoolStatusTree, Tombstone)
from kosmos.contracts.dead_letters import DeadLetter, DeadLetterList
from kosmos.contracts.events import EndpointUpdate
from kosmos.contracts.health import HealthWrite, MemberStatusChange
from kosmos.contracts.history import HistoryEntry, HistoryEntryCreate
from kosmos.contracts.metrics import MetricsRead, MetricUpdate
from kosmos.contracts.quotas import Quota, QuotaUpdate
from kosmos.contracts.resources import RECORD_MODELS, Monitor, PublishStatus
from kosmos.contracts.results import (Acked, Added, Appended, BreakerViewRows, Changed,
                                      ChecksDue, DueDeliveries, EngineContextRows, GslbIds,
                                      Items, NextDue, Page, Ping, PoolLink,
                                      Recorded, RecordedCount, SetAnswers, Written)
from kosmos.contracts.webhooks import DeliveryOutcome, WebhookDelivery
from kosmos.errors import Unavailable, from_pydantic

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
    monitor_ids: list[str] | None = Field(
        None, max_length=20000, description="monitors named if changed lately besides those of "
        "the members down or suspect (the caller's own moves'); None: every monitor changed lately")


class ChecksDueArgs(StrictModel):
    region: Region
    # The fingerprint of the checker's last answer: when nothing it depends on changed
    # since, the answer is {"unchanged": true} and costs one statement.
    known: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")


class EndpointsArgs(StrictModel):
    updates: list[EndpointUpdate] = Field(default_factory=list, max_length=10000)


class ContextArgs(StrictModel):
    member_ids: list[str] = Field(default_factory=list, max_length=20000)
    states_only: bool = Field(False, description="only the members and their health rows "
                              "(the engine's second look at rows it has just written)")


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


_RowId = Annotated[str, Field(min_length=1, max_length=36, pattern=NO_NUL)]


class HealthHeartbeatArgs(StrictModel):
    """Rows of one region whose newest results moved nothing material (verdict, counts,
    last outcome) but whose freshness is due: each gets the newest result's time,
    reason and latency, compare-and-set on the version the engine knows. One list per
    column, row i across them: at 10,000 GSLBs the engine sends thousands a second,
    and lists of plain values cost a fraction of a list of full states to send and to
    check."""

    region: Region
    member_ids: list[_RowId] = Field(default_factory=list, max_length=20000)
    monitor_ids: list[_RowId] = Field(default_factory=list, max_length=20000)
    versions: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(default_factory=list,
                                                                     max_length=20000)
    checked_at: list[UtcDatetime] = Field(default_factory=list, max_length=20000)
    reasons: list[Description | None] = Field(default_factory=list, max_length=20000)
    latency_ms: list[Annotated[float, Field(ge=0, allow_inf_nan=False)] | None] = Field(
        default_factory=list, max_length=20000)


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


@dataclass(frozen=True)
class Operation:
    """One conductor operation: ``args`` validates what is sent (both sides); ``result``
    is the type of what comes back (a model, a list of one, or None), which the client
    hands its caller; ``summary`` says what it does."""

    name: str
    args: type[BaseModel]
    summary: str
    result: Any
    #: only reads (the conductor runs it without a write transaction, and refuses a write)
    reads_only: bool = False

    def __str__(self) -> str:
        return self.name

    def parse(self, raw: Any) -> Any:
        """The conductor's answer as ``result``. An answer that does not fit (a conductor
        of another version) is Unavailable, naming the field: retried, never taken for
        the caller's mistake."""
        try:
            return _adapter(self.result).validate_python(raw)
        except PydanticValidationError as exc:
            wrong = from_pydantic(exc, "result")
            raise Unavailable(f"conductor answered {self.name} with {wrong.message}",
                              field=wrong.field) from None


    def parse_body(self, raw: bytes) -> Any:
        """``parse`` of a success answer as it came, ``{"result": ...}`` in JSON: read
        and checked in one native pass, without the plain objects ``json.loads`` would
        make first (an ``engine.context`` of 2,500 members is megabytes)."""
        try:
            return _body_adapter(self.result).validate_json(raw).result
        except PydanticValidationError as exc:
            wrong = from_pydantic(exc)
            raise Unavailable(f"conductor answered {self.name} with {wrong.message}",
                              field=wrong.field) from None


@functools.cache
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


@functools.cache
def _body_adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(create_model("ConductorAnswer", __config__=ConfigDict(extra="ignore"),
                                    result=(kind, ...)))


def _op(name: str, args: type[BaseModel], summary: str, result: Any) -> Operation:
    operation = Operation(name, args, summary, result, reads_only=name in _READS_ONLY)
    CATALOGUE[name] = operation
    return operation


CATALOGUE: dict[str, Operation] = {}
#: the operations that only read
_READS_ONLY = {
    *(f"{r}.{verb}" for r in RESOURCES for verb in ("get", "list")),
    "pool.monitors", "member.monitors", "gslb.pools", "member.status", "pool.status",
    "gslb.status", "history.list", "conductor.ping", "appliance.list", "metrics.read",
    "webhook.deliveries", "checks.due", "engine.context", "gslb.trees", "gslb.tombstones",
    "gslb.unconfirmed", "breaker.view", "quota.get", "dead_letter.list"}

# Resources: {r}.create {values, id?} → record (``values`` is the XCreate body, member: plus
# pool_id; a caller-chosen ``id`` makes a retry idempotent); {r}.get {id} → record;
# {r}.list → Page of records; {r}.update {id, values} → record (``values.version``, when
# given, must be the stored one: StaleVersion); {r}.delete {id} → None (Conflict while in
# use; a GSLB's name is tombstoned for the engine to remove).
CRUD: dict[tuple[str, str], Operation] = {}
for _r in RESOURCES:
    _record = RECORD_MODELS[_r]
    for _verb, _args, _what, _result in (
            ("create", CreateArgs, "create", _record), ("get", IdArgs, "read", _record),
            ("list", ListArgs, "list", Page[_record]),   # type: ignore[valid-type]
            ("update", UpdateArgs, "update", _record), ("delete", IdArgs, "delete", None)):
        if (_r, _verb) == ("member", "list"):
            _args = MemberListArgs   # members are listed per pool
        CRUD[(_r, _verb)] = _op(f"{_r}.{_verb}", _args, f"{_what} {_r} records", _result)


def crud(kind: str, verb: str) -> Operation:
    """The ``{kind}.{verb}`` operation."""
    return CRUD[(kind, verb)]


POOL_MONITORS = _op("pool.monitors", IdArgs, "the pool's monitors", list[Monitor])
MEMBER_MONITORS = _op("member.monitors", IdArgs, "the monitors of the member's pool", list[Monitor])
GSLB_POOLS = _op("gslb.pools", IdArgs, "the GSLB's pools by priority", list[PoolLink])
MEMBER_STATUS = _op("member.status", IdArgs, "the member's status per region", MemberStatusTree)
POOL_STATUS = _op("pool.status", IdArgs, "the pool's status with its members'", PoolStatusTree)
GSLB_STATUS = _op("gslb.status", IdArgs, "the GSLB's status tree", GslbStatusTree)
HISTORY_LIST = _op("history.list", HistoryListArgs,
                   "history entries, newest first (recorded_since: stored since)",
                   Page[HistoryEntry])
PING = _op("conductor.ping", NoArgs, "the conductor and its database answer", Ping)
APPLIANCE_LIST = _op("appliance.list", NoArgs, "the installed appliance drivers", ApplianceList)
METRICS_ADD = _op("metrics.add", MetricsAddArgs, "counters added to, gauges replaced", Added)
METRICS_READ = _op("metrics.read", NoArgs, "stored and derived series", MetricsRead)
WEBHOOK_DELIVERIES = _op("webhook.deliveries", DeliveriesArgs,
                         "the webhook's deliveries, newest first", Items[WebhookDelivery])
WEBHOOK_DUE = _op("webhook.deliveries.due", DeliveriesDueArgs,
                  "due deliveries claimed for lease_s, the attempt counted", DueDeliveries)
WEBHOOK_REPORT = _op("webhook.deliveries.report", DeliveriesReportArgs,
                     "each delivered, retried later, or given up", NextDue)
CHECKS_DUE = _op("checks.due", ChecksDueArgs,
                 "every (member, monitor) probed from the region; with known = the current "
                 "fingerprint only unchanged", ChecksDue)
ENDPOINTS_SET = _op("endpoints.set", EndpointsArgs,
                    "members' resolved endpoints stored", Changed)
ENGINE_CONTEXT = _op("engine.context", ContextArgs,
                     "what the engine needs to decide for those members", EngineContextRows)
HEALTH_WRITE = _op("health.write", HealthWriteArgs,
                   "one transaction; a compare-and-set miss is StaleVersion and writes nothing",
                   Written)
HEALTH_HEARTBEAT = _op("health.heartbeat", HealthHeartbeatArgs,
                       "one transaction; a row not at its version is StaleVersion and nothing "
                       "is written", Written)
GSLB_TREES = _op("gslb.trees", TreesArgs, "GSLB trees (every GSLB when ids are omitted)",
                 Page[GslbTree])
GSLB_SET_ANSWERS = _op("gslb.set_answers", SetAnswersArgs,
                       "one transaction; per GSLB only what changed, its history with it",
                       SetAnswers)
GSLB_TOMBSTONES = _op("gslb.tombstones", TombstonesArgs, "names to remove from appliances",
                      list[Tombstone])
GSLB_TOMBSTONES_ACK = _op("gslb.tombstones.ack", AckArgs, "tombstones removed", Acked)
GSLB_UNCONFIRMED = _op("gslb.unconfirmed", UnconfirmedArgs,
                       "PENDING GSLBs pushed to an appliance that serves later, longest "
                       "waiting first", GslbIds)
HISTORY_APPEND = _op("history.append", HistoryAppendArgs, "idempotent on dedupe_key", Appended)
ENGINE_LAG = _op("engine.lag", LagArgs,
                 "one row per region, replaced only by a newer observed_at", Recorded)
BREAKER_VIEW = _op("breaker.view", BreakerViewArgs,
                   "what the circuit breaker judges (with summary: only the counts)",
                   BreakerViewRows)
QUOTA_GET = _op("quota.get", QuotaGetArgs, "the caller's project's quota (an admin: any)", Quota)
QUOTA_SET = _op("quota.set", QuotaSetArgs, "the quota after the change (admin)", Quota)
QUOTA_DELETE = _op("quota.delete", ProjectArgs, "the project is back to the defaults (admin)",
                   None)
DEAD_LETTER_RECORD = _op("dead_letter.record", DeadLetterRecordArgs,
                         "new ones counted (a letter seen before is kept once)", RecordedCount)
DEAD_LETTER_LIST = _op("dead_letter.list", DeadLetterListArgs, "newest first (admin)",
                       DeadLetterList)
