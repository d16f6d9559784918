"""CloudEvents between the functions: types, sources and ``data`` models.

Every ``data`` carries ``schema_version``; a reader rejects versions it does
not know (so a rolling upgrade fails loudly, not silently). Delivery is
at-least-once and unordered: handlers are idempotent, results carry their
check time, stale or duplicate results change nothing.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from kosmos.contracts.common import StrictModel, UtcDatetime, unvalidated

CHECK_TICK = "kosmos.check.tick"
CHECK_BATCH = "kosmos.check.batch"
CHECK_RESULTS = "kosmos.check.results"
ENGINE_RECONCILE = "kosmos.engine.reconcile"
ENGINE_DECIDE = "kosmos.engine.decide"
EVENT_TYPES = (CHECK_TICK, CHECK_BATCH, CHECK_RESULTS, ENGINE_RECONCILE, ENGINE_DECIDE)


class EventData(StrictModel):
    schema_version: Literal[1] = 1


class CheckTick(EventData):
    """Cron → checker: plan region ``region``'s probes over the ``period`` that starts
    a little after ``scheduled_at`` (``kosmos.checker.tick.LEAD``, at most one period)."""

    region: str
    scheduled_at: UtcDatetime
    period: float = Field(60.0, gt=0, le=3600, description="Seconds this tick covers")


class MonitorSpec(StrictModel):
    """A snapshot of a monitor's settings, taken when the batch was built."""

    id: str
    type: str
    delay: int | float    # a recheck batch probes at the monitor's recheck_delay
    timeout: float
    max_retries: int
    max_retries_down: int
    port: int | None = None
    http_method: str = "GET"
    url_path: str = "/"
    expected_codes: list[int | str] = Field(default_factory=lambda: [200])
    receive_string: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    payload: dict[str, Any] | None = None
    ca_cert: str | None = None
    insecure: bool = False
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="The check plugin's own options, as it validated them")


class SharedCheck(StrictModel):
    """Another check of a ``CheckSpec``'s probe (``kosmos.probes.identity``): it is the
    spec in all but these fields, so it runs no probe of its own and takes the outcome of
    the spec's probe at each instant as its own result."""

    member_id: str
    pool_id: str
    monitor_id: str
    max_retries: int
    max_retries_down: int

    @classmethod
    def trusted(cls, member_id: str, pool_id: str, monitor_id: str, max_retries: int,
                max_retries_down: int) -> "SharedCheck":
        """From fields of a validated ``CheckSpec``, unvalidated (``unvalidated``): the tick
        folds thousands a second (sharding 2,500 checks took 29 ms of CPU with
        ``model_construct``, 25 ms with this)."""
        return unvalidated(cls, {"member_id": member_id, "pool_id": pool_id,
                                 "monitor_id": monitor_id, "max_retries": max_retries,
                                 "max_retries_down": max_retries_down}, _SHARED_FIELDS)


class CheckSpec(StrictModel):
    """One thing to probe: a member under a monitor, from the batch's region."""

    member_id: str
    pool_id: str
    project_id: str
    member_type: str = "IP"
    address: str | None = Field(None, description="Address probed (first endpoint); None if unresolved")
    endpoints: list[str] = Field(default_factory=list)
    port: int
    member_region: str | None = None
    neutron_id: str | None = None
    monitor: MonitorSpec
    same_probe: list[SharedCheck] = Field(
        default_factory=list, description="Other checks of this check's probe, sent once "
                                          "with it rather than each in full")


class CheckBatch(EventData):
    """Checker → queue → checker: run these checks every ``monitor.delay`` until ``deadline``."""

    region: str
    batch_id: str = Field(..., description="tick-scoped id: region/window_start/shard")
    window_start: UtcDatetime
    deadline: UtcDatetime
    checks: list[CheckSpec]
    recheck: bool = Field(False, description="A recheck of suspects: every grid starts at "
                                             "window_start, so the first probes go at once")


class CheckResult(StrictModel):
    member_id: str
    monitor_id: str
    address: str | None = None
    ok: bool
    latency_ms: float | None = None
    reason: str = Field(..., max_length=1024, description="Human reason: 'HTTP 503 not in [200]'")
    checked_at: UtcDatetime

    @classmethod
    def trusted(cls, member_id: str, monitor_id: str, address: str | None, ok: bool,
                latency_ms: float | None, reason: str, checked_at: datetime) -> "CheckResult":
        """A result from values the checker made itself (its types, ``reason`` at most 1,024
        characters), unvalidated: what ``model_construct`` makes, in a sixth of its time
        (the checker makes one per probe)."""
        return unvalidated(cls, {"member_id": member_id, "monitor_id": monitor_id,
                                 "address": address, "ok": ok, "latency_ms": latency_ms,
                                 "reason": reason, "checked_at": checked_at}, _RESULT_FIELDS)


_RESULT_FIELDS = frozenset(CheckResult.model_fields)
_SHARED_FIELDS = frozenset(SharedCheck.model_fields)


class EndpointUpdate(StrictModel):
    """Addresses discovered for a neutron member this window (reaches the engine like health)."""

    member_id: str
    endpoints: list[str]
    status: Literal["OK", "STALE", "ERROR"] = "OK"
    reason: str | None = None
    observed_at: UtcDatetime


class CheckResults(EventData):
    """Checker → engine."""

    region: str
    checker_id: str
    batch_id: str | None = None
    results: list[CheckResult] = Field(default_factory=list)
    endpoints: list[EndpointUpdate] = Field(default_factory=list)


class EngineReconcile(EventData):
    """Cron → engine: compare desired and served answers and repair drift.

    ``all`` (cron) covers every GSLB; when there are more than one shard's worth,
    the engine handling it sends one ``gslbs`` event per shard (``gslb_ids``) so
    that no invocation runs long and several instances share the work. ``gslb``
    is one GSLB, an operator's deliberate release of a held change.
    """

    scope: Literal["all", "gslb", "gslbs"] = "all"
    gslb_id: str | None = None
    gslb_ids: list[str] = Field(default_factory=list, max_length=1000)
    scheduled_at: UtcDatetime | None = None


class ChangeCause(StrictModel):
    """A user's committed write, as the conductor saw it: who changed what, and when."""

    op: str = Field(..., max_length=64, description="conductor operation, e.g. gslb.update")
    resource: Literal["gslb", "pool", "member", "monitor"]
    resource_id: str = Field(..., max_length=64)
    project_id: str | None = Field(None, max_length=64)
    user_id: str | None = Field(None, max_length=64)
    request_id: str | None = Field(None, max_length=128)
    at: UtcDatetime


class EngineDecide(EventData):
    """Conductor → engine: a committed change may alter these GSLBs' answers; decide them now.

    Sent after the change's transaction commits. The engine re-decides the
    members of these GSLBs from the stored health rows and emits their
    answers; GSLB ids that no longer exist mean "remove the deleted names".
    Handling it twice, late or out of order changes nothing more: it always
    decides from what is stored when it runs.
    """

    gslb_ids: list[str] = Field(..., min_length=1, max_length=1000)
    cause: ChangeCause


DATA_MODELS: dict[str, type[EventData]] = {
    CHECK_TICK: CheckTick, CHECK_BATCH: CheckBatch,
    CHECK_RESULTS: CheckResults, ENGINE_RECONCILE: EngineReconcile, ENGINE_DECIDE: EngineDecide}

#: Event types whose ``data`` is sent without the fields at their defaults (``schema_version``
#: always said); the receiver's model restores them. A check batch names every check's
#: monitor settings, most at their defaults, and at 10,000 GSLBs a region's batches were
#: 1.4 MB a second to write, sign, send and read.
LEAN_TYPES = frozenset({CHECK_BATCH})
