"""Webhooks: a project's outbound notifications, and the deliveries made for them.

A webhook names a URL, the event types it wants and a secret. Every stored
change of those types becomes a CloudEvent 1.0 (structured JSON mode) POSTed
to the URL, at least once, with ``X-Kosmos-Signature: sha256=<hex HMAC-SHA256
of the body with the secret>``; the event ``id`` is the same on every retry,
so a receiver drops repeats by it.
"""
from __future__ import annotations

import enum
import ipaddress
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from kosmos.contracts.common import (JSON_NUMBER, NO_NUL, Description, Name, RecordModel,
                                     StrictModel, UtcDatetime)


class WebhookEvent(str, enum.Enum):
    ANSWER_CHANGED = "gslb.answer.changed"
    MEMBER_STATUS_CHANGED = "member.status.changed"
    PUBLISH_FAILED = "gslb.publish.failed"
    BREAKER_HELD = "gslb.breaker.held"


class DeliveryStatus(str, enum.Enum):
    PENDING = "PENDING"       # not yet delivered; retried at next_attempt_at
    DELIVERED = "DELIVERED"   # the receiver answered 2xx
    FAILED = "FAILED"         # given up after the last attempt


_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
# A host name or IPv4 address, an optional port, then printable ASCII (percent-encode the
# rest) without a fragment. An IPv6 receiver is reached by its name.
URL_PATTERN = (r"^https?://[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?"
               rf"(:{_PORT})?([/?][!-\"$-~]*)?$")
Url = Annotated[str, Field(min_length=1, max_length=2048, pattern=URL_PATTERN,
                           description="http or https URL the events are POSTed to")]
Secret = Annotated[str, Field(min_length=16, max_length=256, pattern=NO_NUL,
                              description="HMAC-SHA256 key of X-Kosmos-Signature; write-only")]
Events = Annotated[list[WebhookEvent], Field(min_length=1, max_length=len(WebhookEvent),
                                             json_schema_extra={"uniqueItems": True})]


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, no credentials, no fragment."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an http or https URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials (sign with the secret instead)")
    if parts.fragment:
        raise ValueError("must not have a fragment")
    if port == 0:
        raise ValueError("port 0 is not a port")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise ValueError("must not contain spaces or control characters")
    return url


def host_address(url: str) -> str | None:
    """The URL's host when it is an IP address literal (else None: a name, resolved later)."""
    host = urlsplit(url).hostname or ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _unique(events: list[WebhookEvent]) -> list[WebhookEvent]:
    if len(set(events)) != len(events):
        raise ValueError("lists an event type twice")
    return events


class WebhookCreate(StrictModel):
    name: Name = ""
    description: Description = ""
    url: Url
    events: Events = Field(default_factory=lambda: list(WebhookEvent))
    secret: Secret

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_url(v)

    @field_validator("events")
    @classmethod
    def _events(cls, v: list[WebhookEvent]) -> list[WebhookEvent]:
        return _unique(v)


class WebhookUpdate(StrictModel):
    name: Name | None = None
    description: Description | None = None
    url: Url | None = None
    events: Events | None = None
    secret: Secret | None = None
    version: Annotated[int, Field(ge=1), JSON_NUMBER] | None = Field(None)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return v if v is None else check_url(v)

    @field_validator("events")
    @classmethod
    def _events(cls, v: list[WebhookEvent] | None) -> list[WebhookEvent] | None:
        return v if v is None else _unique(v)


class Webhook(RecordModel):
    """A stored webhook; the secret is never read back."""

    id: str
    project_id: str
    name: str = ""
    description: str = ""
    url: str
    events: list[WebhookEvent]
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int = 1


class WebhookDelivery(RecordModel):
    """One event for one webhook: its outcome so far."""

    id: str = Field(..., description="the CloudEvent id, the same on every attempt")
    webhook_id: str
    event_type: WebhookEvent
    subject: str
    status: DeliveryStatus
    attempts: int
    status_code: int | None = None
    error: str | None = None
    created_at: UtcDatetime
    last_attempt_at: UtcDatetime | None = None
    next_attempt_at: UtcDatetime | None = None
    delivered_at: UtcDatetime | None = None


class DeliveryOutcome(StrictModel):
    """What one attempt got (``webhook.deliveries.report``)."""

    id: str = Field(..., max_length=64)
    ok: bool
    status_code: int | None = Field(None, ge=100, le=599)
    error: str | None = Field(None, max_length=1024)


def cloud_event(event_id: str, event_type: WebhookEvent, source: str, subject: str,
                time: str, data: dict[str, Any]) -> dict[str, Any]:
    """A CloudEvent 1.0 in structured JSON mode."""
    return {"specversion": "1.0", "id": event_id, "source": source, "type": event_type.value,
            "subject": subject, "time": time, "datacontenttype": "application/json",
            "data": data}
