"""Health state per (member, monitor, region) and the status trees built on it."""
from __future__ import annotations

import enum
from typing import Any

from pydantic import Field

from kosmos.contracts.common import RecordModel, StrictModel, UtcDatetime, unvalidated


class Verdict(str, enum.Enum):
    UP = "UP"
    DOWN = "DOWN"
    UNKNOWN = "UNKNOWN"   # new member, or no verdict yet (NO_MONITOR in operating_status)


class HealthState(RecordModel):
    """What one region's checker has concluded about one member under one monitor.

    Counts are consecutive and capped at the threshold that matters, so a steady
    stream of identical results leaves the row unchanged (no write).
    ``last_checked_at`` is the check time of the newest result applied; results
    checked at or before it are stale or duplicates and change nothing.
    """

    member_id: str
    monitor_id: str
    region: str
    project_id: str
    verdict: Verdict = Verdict.UNKNOWN
    consecutive_ok: int = 0
    consecutive_fail: int = 0
    last_ok: bool | None = None
    last_reason: str | None = None
    last_latency_ms: float | None = None
    last_checked_at: UtcDatetime | None = None
    verdict_changed_at: UtcDatetime | None = None
    version: int = 1

    def replaced(self, **changes: Any) -> "HealthState":
        """A copy with ``changes`` (values of the fields' types), unvalidated as
        ``model_copy`` leaves them, in half its time: the engine copies a row for each
        result it applies, thousands a second."""
        return unvalidated(type(self), {**self.__dict__, **changes},
                           self.__pydantic_fields_set__ | changes.keys())


class HealthWrite(StrictModel):
    """One row of a bulk health write: insert or compare-and-set on ``expected_version``.

    ``expected_version`` None means "insert; the row must not exist yet".
    """

    state: HealthState
    expected_version: int | None = None


class MemberStatusChange(StrictModel):
    """The engine's new cross-region verdict for a member (operating_status).

    ``expected_version`` is the member's ``status_version`` the engine read:
    the write is refused (StaleVersion) if the status moved meanwhile to another
    status; moved to this one (another writer made the same move), the change is
    skipped with its member history entries, as already in effect. It is not the
    user's ``version``, which a status change leaves alone.
    """

    member_id: str
    operating_status: str
    status_reason: str
    expected_version: int | None = Field(None, description="Member status_version the engine "
                                         "read")


class RegionStatus(RecordModel):
    region: str
    monitor_id: str
    verdict: Verdict
    fresh: bool = True
    last_ok: bool | None = None
    last_reason: str | None = None
    last_latency_ms: float | None = None
    last_checked_at: UtcDatetime | None = None
    consecutive_ok: int = 0
    consecutive_fail: int = 0
