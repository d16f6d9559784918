"""What the conductor's operations answer, as models (``Operation.result``).

Records, trees and lists reuse the models of ``kosmos.contracts.resources``,
``conductor``, ``health`` and friends; the small answers (counts, ids, the
circuit breaker's view) are here. Every one tolerates fields it does not know
(``RecordModel``), so an older caller survives a newer conductor.
"""
from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import Field

from kosmos.contracts.common import RecordModel
from kosmos.contracts.events import CheckSpec
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
    the caller's list is still current and ``checks`` is empty."""

    checks: list[CheckSpec] = Field(default_factory=list)
    fingerprint: str | None = None
    unchanged: bool = False


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

