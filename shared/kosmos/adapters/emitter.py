"""The Emitter port: how an event leaves a function.

``Emitter.emit(event_type, data)`` validates ``data`` against the event's
model in ``kosmos.contracts.events``, wraps it in a CloudEvents 1.0 envelope
(``Event``) and hands it to ``deliver``, which each implementation provides:

- ``HttpEmitter``: binary-mode CloudEvents over HTTP POST to a sink or
  broker URL (``settings.broker_url``; a Knative broker in production).
  Connection errors, timeouts, 429 and 5xx raise ``Unavailable`` (retryable);
  another 4xx raises ``KosmosError`` (the event itself is wrong).
- ``InMemoryEmitter``: keeps events in a list, for tests.
- The local runner subclasses ``Emitter`` with its in-process queue.

Delivery is at-least-once downstream; ``event_id`` lets a caller give a
duplicate the same id (e.g. a batch's id) so a broker can drop it.
"""
from __future__ import annotations

import abc
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pydantic_core
from pydantic import BaseModel

from kosmos.adapters.event_signature import EXTENSION, signed_body
from kosmos.adapters.http_client import TRANSPORT_ERRORS, Client, client_for
from kosmos.contracts.common import utcnow
from kosmos.contracts.events import DATA_MODELS, LEAN_TYPES
from kosmos.errors import KosmosError, Unavailable, ValidationError, from_pydantic

SPEC_VERSION = "1.0"


@dataclass(frozen=True)
class Event:
    """A CloudEvents 1.0 event with a JSON ``data`` object."""

    id: str
    type: str
    source: str
    time: datetime
    data: dict[str, Any]
    subject: str | None = None
    datacontenttype: str = "application/json"
    signature: str | None = None   # kosmossignature (``event_signature``), when signing
    #: the data as sent when signed: its canonical JSON, which the signature covers
    body: bytes | None = None

    def headers(self) -> dict[str, str]:
        """The binary-mode HTTP headers (``ce-*``) of this event."""
        h = {"ce-specversion": SPEC_VERSION, "ce-id": self.id, "ce-type": self.type,
             "ce-source": self.source, "ce-time": self.time.isoformat(),
             "Content-Type": self.datacontenttype}
        if self.subject:
            h["ce-subject"] = self.subject
        if self.signature:
            h[f"ce-{EXTENSION}"] = self.signature
        return h


class Emitter(abc.ABC):
    """Port: emit ``kosmos.*`` events. Subclasses implement ``deliver``."""

    def __init__(self, source: str = "//kosmos", signing_key: str | None = None):
        self.source = source
        self.signing_key = signing_key

    def emit(self, event_type: str, data: BaseModel | dict[str, Any], *,
                event_id: str | None = None, subject: str | None = None) -> Event:
        """Validate ``data`` for ``event_type`` and deliver it; returns the event sent."""
        event_id = event_id or str(uuid.uuid4())
        payload = encode(event_type, data)
        body, signed = (signed_body(self.signing_key, event_type, event_id, self.source, payload)
                        if self.signing_key else (None, None))
        event = Event(id=event_id, type=event_type, source=self.source, time=utcnow(),
                      data=payload, subject=subject, signature=signed, body=body)
        self.deliver(event)
        return event

    @abc.abstractmethod
    def deliver(self, event: Event) -> None:
        """Send one event; raise ``Unavailable`` when it could not be delivered."""


def body_of(event: Event) -> bytes:
    """The event's data as the HTTP body: the canonical JSON its signature covers when
    signed, else compact UTF-8 JSON written by pydantic-core (a quarter of the time
    ``json.dumps`` takes over a checker's results)."""
    return event.body if event.body is not None else pydantic_core.to_json(event.data)


def encode(event_type: str, data: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """``data`` as JSON-ready dict, checked against the model of ``event_type``."""
    model = DATA_MODELS.get(event_type)
    if model is None:
        raise ValidationError(f"unknown event type {event_type!r}", field="type")
    if isinstance(data, model):
        return _dumped(event_type, data)
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    try:
        return _dumped(event_type, model.model_validate(data))
    except Exception as exc:  # pydantic.ValidationError
        if hasattr(exc, "errors"):
            raise from_pydantic(exc, "data") from exc
        raise


def _dumped(event_type: str, data: BaseModel) -> dict[str, Any]:
    if event_type not in LEAN_TYPES:
        return data.model_dump(mode="json")
    return {"schema_version": data.schema_version,
            **data.model_dump(mode="json", exclude_defaults=True)}


class HttpEmitter(Emitter):
    """Binary-mode CloudEvents over HTTP POST to ``url``."""

    def __init__(self, url: str, *, source: str = "//kosmos", timeout: float = 10.0,
                 client: Client | None = None, signing_key: str | None = None):
        super().__init__(source, signing_key)
        if not url:
            raise ValidationError("broker_url is required for the http emitter", field="broker_url")
        self.url = url
        self.timeout = timeout
        self.client = client or client_for(url, timeout)

    def deliver(self, event: Event) -> None:
        try:
            resp = self.client.post(self.url, body_of(event), event.headers())
        except TRANSPORT_ERRORS as exc:
            raise Unavailable(f"event sink unreachable: {exc.__class__.__name__}",
                              retry_after=1.0) from exc
        if resp.status == 429 or resp.status >= 500:
            raise Unavailable(f"event sink answered HTTP {resp.status}", retry_after=1.0)
        if resp.status >= 400:
            raise KosmosError(f"event sink refused {event.type}: HTTP {resp.status}")


@dataclass
class InMemoryEmitter(Emitter):
    """Keeps every event it is given (thread-safe); for tests."""

    source: str = "//kosmos/test"
    events: list[Event] = field(default_factory=list)
    signing_key: str | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def deliver(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of_type(self, event_type: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e.type == event_type]
