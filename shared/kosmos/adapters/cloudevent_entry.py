"""The warm-instance holder behind the cloud_event functions (checker, engine).

``LazyHandler.handle(event)`` builds its service from settings on the first
event (never at import time) and reuses it while warm; tests and the local
runner ``use`` a service of their own. A malformed event is logged and
acknowledged (retrying cannot fix it); ``Unavailable`` propagates from
``handle`` so the platform redelivers the event, and ``respond`` (what the
functions call) answers it with HTTP 503 and ``Retry-After`` and one log line
rather than a 500 and a stack trace. Building the service stays outside that: a
deployment error (a bad setting) must fail loudly and be retried once fixed,
not be mistaken for a malformed event and dropped.

Cron events arrive from a Knative PingSource: they all have the type
``dev.knative.sources.ping``, so the Kosmos type rides in the ``kosmostype``
extension and ``scheduled_at`` is the event's ``time`` (the same for every
redelivery of one ping, so derived ids are too).
"""
from __future__ import annotations

from typing import Any, Protocol, TypeVar

from kosmos.adapters.event_signature import EXTENSION, holds
from kosmos.adapters.warm import WarmInstance
from kosmos.config import Settings
from kosmos.errors import Unavailable, ValidationError
from kosmos.logs import get_logger

log = get_logger(__name__)

PING_TYPE = "dev.knative.sources.ping"


class EventService(Protocol):
    def handle(self, event_type: str, data: Any) -> Any:
        """Handle one Kosmos event of ``event_type`` with its decoded ``data``."""


S = TypeVar("S", bound=EventService)


def kosmos_event(event: Any) -> tuple[str, Any]:
    """(Kosmos event type, data) of a CloudEvent, unwrapping a PingSource's ``kosmostype``."""
    raw = event.data
    data = dict(raw) if isinstance(raw, dict) else (raw if raw is not None else {})
    event_type = event["type"]
    if event_type == PING_TYPE and event.get("kosmostype"):
        event_type = event.get("kosmostype")
        if isinstance(data, dict) and event.get("time"):
            data.setdefault("scheduled_at", event.get("time"))
    return event_type, data


def _signing_key(service: Any) -> str | None:
    settings = getattr(service, "settings", None) or getattr(
        getattr(service, "deps", None), "settings", None)
    if settings is None:
        from kosmos.config import get_settings
        settings = get_settings()
    return settings.event_signing_key


def authentic(event: Any, key: str | None, body: bytes | None = None) -> bool:
    """Whether to act on ``event``: no key configured, a platform ping, or signed with
    ``key``. ``body``: the bytes its data came in, when known (``event_signature.holds``)."""
    if not key or event["type"] == PING_TYPE:
        return True
    data = event.data
    return holds(key, event["type"], event["id"], event["source"],
                 dict(data) if isinstance(data, dict) else data, event.get(EXTENSION), body)


def request_body() -> bytes | None:
    """The body of the HTTP request being served, if any: a binary-mode event's data as
    its sender wrote them (functions-framework has read and kept them)."""
    from flask import has_request_context, request

    return request.get_data(cache=True) if has_request_context() else None


class LazyHandler(WarmInstance[S]):
    """The checker's or the engine's warm service; subclasses say how to build it."""

    def __init__(self) -> None:
        super().__init__(self.build)

    def build(self, settings: Settings) -> S:  # pragma: no cover - overridden
        raise NotImplementedError

    def service(self) -> S:
        return self.get()

    def handle(self, event: Any) -> Any:
        """Dispatch a functions-framework CloudEvent on its (Kosmos) type."""
        service = self.service()
        if not authentic(event, _signing_key(service), request_body()):
            log.warning("dropped an event without a valid signature",
                        extra={"event_id": event["id"], "event_type": event["type"],
                               "source": event["source"]})
            return None
        try:
            return service.handle(*kosmos_event(event))
        except ValidationError as exc:
            log.error("dropped invalid event: %s", exc.message,
                      extra={"event_id": event["id"], "event_type": event["type"]})
            return None

    def respond(self, event: Any) -> Any:
        """``handle`` for a function: a dependency that is down (``Unavailable``) is
        answered with HTTP 503 and ``Retry-After``, which the platform redelivers, and
        logged in one line."""
        from werkzeug.exceptions import ServiceUnavailable

        try:
            return self.handle(event)
        except Unavailable as exc:
            log.warning("event not handled, to be redelivered: %s", exc.message,
                        extra={"event_id": event["id"], "event_type": event["type"]})
            raise ServiceUnavailable(exc.message,
                                     retry_after=max(1, round(exc.retry_after or 1))) from None
