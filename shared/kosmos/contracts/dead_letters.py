"""Dead letters: events the platform gave up delivering, as Kosmos keeps and shows them.

A broker's dead-letter sink receives the event itself, with Knative's extensions
saying where it was going (``knativeerrordest``), the last HTTP status
(``knativeerrorcode``) and the start of the last answer (``knativeerrordata``,
base64). The runner's queue keeps its dead letters in this same shape.
"""
from __future__ import annotations

from typing import Any

from pydantic import Field

from kosmos.contracts.common import StrictModel, UtcDatetime

#: Bytes of an event's data kept with its dead letter (beyond: recorded as cut).
MAX_DATA_BYTES = 64 * 1024


class DeadLetter(StrictModel):
    """One event that exhausted its retries."""

    event_id: str = Field(..., min_length=1, max_length=255)
    event_type: str = Field(..., min_length=1, max_length=255)
    source: str = Field("", max_length=1024)
    subject: str | None = Field(None, max_length=1024)
    event_time: str | None = Field(None, max_length=64)
    destination: str | None = Field(None, max_length=2048,
                                    description="where the platform tried to deliver it")
    error_code: int | None = Field(None, ge=0, le=999, description="its last HTTP status")
    error: str | None = Field(None, max_length=2048, description="its last error, as told")
    data: Any = Field(None, description="the event's data (JSON), or a note that it was cut")


class StoredDeadLetter(DeadLetter):
    id: str
    received_at: UtcDatetime


class DeadLetterList(StrictModel):
    dead_letters: list[StoredDeadLetter]


def bounded_data(data: Any, size: int) -> Any:
    """``data`` when within ``MAX_DATA_BYTES`` (its JSON ``size``), else a note of its size."""
    return data if size <= MAX_DATA_BYTES else {"cut": True, "bytes": size}

