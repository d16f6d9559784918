"""Response models of API v1: records with links, list envelopes, history,
errors and the version document. They are what the OpenAPI document
promises; ``render`` builds the bodies through them so the two cannot drift.
"""
from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from kosmos.contracts.common import RecordModel, UtcDatetime
from kosmos.contracts.history import SubjectType
from kosmos.contracts.resources import Gslb, Member, Monitor, Pool
from kosmos.contracts.webhooks import Webhook, WebhookDelivery


class SelfLinks(RecordModel):
    self: str = Field(..., description="URL of this resource")


class ListLinks(RecordModel):
    next: str | None = Field(None, description="URL of the next page; null on the last page")


class MonitorResponse(Monitor):
    links: SelfLinks


class PoolResponse(Pool):
    links: SelfLinks


class MemberResponse(Member):
    links: SelfLinks


class GslbResponse(Gslb):
    links: SelfLinks


class WebhookResponse(Webhook):
    links: SelfLinks


class WebhookList(RecordModel):
    webhooks: list[WebhookResponse]
    links: ListLinks


class WebhookDeliveryList(RecordModel):
    deliveries: list[WebhookDelivery]


class MonitorList(RecordModel):
    monitors: list[MonitorResponse]
    links: ListLinks


class PoolList(RecordModel):
    pools: list[PoolResponse]
    links: ListLinks


class MemberList(RecordModel):
    pool_members: list[MemberResponse]
    links: ListLinks


class GslbList(RecordModel):
    gslbs: list[GslbResponse]
    links: ListLinks


class GslbPoolEntry(PoolResponse):
    priority: int = Field(..., description="Lower is served first")


class GslbPoolList(RecordModel):
    pools: list[GslbPoolEntry]
    links: ListLinks


class HistorySubject(RecordModel):
    type: SubjectType
    id: str


class HistoryEntryResponse(RecordModel):
    """One change: a member's state, one health verdict, or a published answer."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str
    project_id: str
    gslb_id: str | None = None
    member_id: str | None = None
    time: UtcDatetime
    subject: HistorySubject
    from_state: str | None = Field(None, alias="from")
    to_state: str = Field(..., alias="to")
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)


class HistoryList(RecordModel):
    history: list[HistoryEntryResponse]
    links: ListLinks


class ErrorDetail(RecordModel):
    code: int
    type: str
    message: str
    details: list[Any] = Field(default_factory=list)
    field: str | None = None
    retry_after: float | None = None


class ErrorBody(RecordModel):
    error: ErrorDetail


class VersionLink(RecordModel):
    rel: str
    href: str


class Version(RecordModel):
    id: str
    status: str
    links: list[VersionLink]


class VersionDocument(RecordModel):
    versions: list[Version]


class OneVersion(RecordModel):
    version: Version


class Health(RecordModel):
    status: str = Field(..., description="ok: the api can serve (its conductor and database answer)")
