"""The history ("logging component"): every change of a member's state or of a
published answer, with the rule and the evidence that caused it."""
from __future__ import annotations

import enum
from typing import Any

from pydantic import AliasChoices, Field

from kosmos.contracts.common import RecordModel, StrictModel, UtcDatetime


class SubjectType(str, enum.Enum):
    MEMBER = "member"          # cross-region operating_status of a member
    HEALTH = "health"          # one (member, monitor, region) verdict
    GSLB = "gslb"              # the published answer of a GSLB
    ENDPOINTS = "endpoints"    # discovered addresses of a neutron member


class HistoryEntryCreate(StrictModel):
    """An entry to append. ``dedupe_key`` makes the append idempotent: a second
    append with the same key (a redelivered event) is ignored."""

    project_id: str
    gslb_id: str | None = None
    member_id: str | None = None
    subject_type: SubjectType
    subject_id: str
    time: UtcDatetime
    from_state: str | None = Field(None, alias="from")
    to_state: str = Field(..., alias="to")
    reason: str = Field(..., max_length=2048, description="The rule that fired, in words")
    evidence: dict[str, Any] = Field(default_factory=dict)
    dedupe_key: str | None = Field(None, max_length=255)

    model_config = {"extra": "forbid", "populate_by_name": True}


class HistoryEntry(RecordModel):
    id: str
    project_id: str
    gslb_id: str | None = None
    member_id: str | None = None
    subject_type: SubjectType
    subject_id: str
    time: UtcDatetime
    from_state: str | None = Field(None, serialization_alias="from",
                                   validation_alias=AliasChoices("from_state", "from"))
    to_state: str = Field(..., serialization_alias="to",
                          validation_alias=AliasChoices("to_state", "to"))
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)

    model_config = {"extra": "ignore", "populate_by_name": True, "from_attributes": True}
