"""What the conductor's operations answer, as models (``Operation.result``).

Records, trees and lists reuse the models of ``kosmos.contracts.resources``,
``conductor``, ``health`` and friends; the small answers (counts, ids, the
circuit breaker's view) are here. Every one tolerates fields it does not know
(``RecordModel``), so an older caller survives a newer conductor.
"""
from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import Field, ValidationError, model_validator

from kosmos.contracts.common import RecordModel
from kosmos.contracts.events import CheckSpec, MonitorSpec
from kosmos.contracts.health import HealthState
from kosmos.contracts.resources import Gslb, Member, Monitor, Pool

T = TypeVar("T")


class Page(RecordModel, Generic[T]):
    """One page of a list; ``next_marker`` continues it (None: the last page)."""

    items: list[T] = Field(default_factory=list)
    next_marker: str | None = None


class Items(RecordModel, Generic[T]):
    """A list that is never paged."""

    items: list[T] = Field(default_factory=list)


class Ping(RecordModel):
    database: str


class Added(RecordModel):
    added: int


class Appended(RecordModel):
    appended: int


class Written(RecordModel):
    written: int


class Recorded(RecordModel):
    """``engine.lag``: whether the row was replaced (an older observation is not)."""

    recorded: bool


class RecordedCount(RecordModel):
    """``dead_letter.record``: how many letters were new."""

    recorded: int


class Acked(RecordModel):
    acked: int


class Changed(RecordModel):
    """``endpoints.set``: the members whose endpoints or endpoint status changed."""

    changed: list[str] = Field(default_factory=list)


class GslbIds(RecordModel):
    ids: list[str] = Field(default_factory=list)


class SetAnswers(RecordModel):
    """``gslb.set_answers``: how many were stored; those deleted meanwhile (``missing``);
    those another engine instance held after the decision was read (``superseded``)."""

    stored: int
    missing: list[str] = Field(default_factory=list)
    superseded: list[str] = Field(default_factory=list)


class PoolLink(RecordModel):
    """``gslb.pools``: one pool of a GSLB with its priority."""

    pool: Pool
    priority: int


class DueDelivery(RecordModel):
    """A webhook delivery claimed for sending: where, signed with what, which attempt."""

    id: str
    url: str
    secret: str
    body: dict[str, Any] = Field(..., description="the CloudEvent to send (structured mode)")
    attempt: int


class DueDeliveries(RecordModel):
    items: list[DueDelivery] = Field(default_factory=list)
    next_due_at: str | None = None


class NextDue(RecordModel):
    next_due_at: str | None = None


class ChecksDue(RecordModel):
    """``checks.due``: every check of the region and their fingerprint; with ``unchanged``
    the caller's list is still current and ``checks`` is empty.

    On the wire each monitor comes once (``monitors``) and each check names its
    own (``monitor_id``): at 25,000 checks a copy per check was most of the
    answer's size and of the time to build, send and read it. Read, the checks
    of one monitor share one ``MonitorSpec``. An answer in the earlier form (each
    check with its ``monitor``) is read as well, so checkers can be upgraded
    before the conductor.
    """

    checks: list[CheckSpec] = Field(default_factory=list)
    fingerprint: str | None = None
    unchanged: bool = False

    @model_validator(mode="before")
    @classmethod
    def _monitors_once(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "monitors" not in data:
            return data
        if not isinstance(data["monitors"], list):
            raise ValueError("monitors: not a list")
        by_id: dict[str, MonitorSpec] = {}
        for i, raw in enumerate(data["monitors"]):
            try:
                monitor = MonitorSpec.model_validate(raw)
            except ValidationError as exc:
                where = ".".join(str(p) for p in exc.errors()[0]["loc"])
                raise ValueError(f"monitors[{i}].{where}: {exc.errors()[0]['msg']}") from None
            by_id[monitor.id] = monitor
        checks = data.get("checks") or []
        if not isinstance(checks, list):
            raise ValueError("checks: not a list")
        out = []
        for i, check in enumerate(checks):
            monitor = by_id.get(check.get("monitor_id")) if isinstance(check, dict) else None
            if monitor is None:
                raise ValueError(f"checks[{i}].monitor_id: not one of the answer's monitors")
            out.append({**{k: v for k, v in check.items() if k != "monitor_id"},
                        "monitor": monitor})
        return {**{k: v for k, v in data.items() if k != "monitors"}, "checks": out}


class EngineContextRows(RecordModel):
    """``engine.context``: the members asked for, their pools and monitors, every health
    row of theirs, and the GSLBs using those pools."""

    members: list[Member] = Field(default_factory=list)
    pools: list[Pool] = Field(default_factory=list)
    monitors: list[Monitor] = Field(default_factory=list)
    states: list[HealthState] = Field(default_factory=list)
    gslbs: list[Gslb] = Field(default_factory=list)


class DownEndpoint(RecordModel):
    """A member the circuit breaker counts as down (or suspect)."""

    member_id: str
    addresses: list[str] = Field(default_factory=list)
    port: int
    region: str | None = None
    monitor_ids: list[str] = Field(default_factory=list)


class BreakerViewRows(RecordModel):
    """``breaker.view``: the whole view, or with ``summary`` only the three counts."""

    total_endpoints: int = 0
    down: list[DownEndpoint] = Field(default_factory=list)
    suspect: list[DownEndpoint] = Field(default_factory=list)
    monitors_changed: dict[str, str] = Field(default_factory=dict)
    held: list[str] = Field(default_factory=list)
    offline_members: int = 0
    held_count: int = 0
    suspect_members: int = 0
    # at most this many distinct endpoints are OFFLINE or suspect (None: not counted)
    endpoints_bound: int | None = None

