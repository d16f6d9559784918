"""The warm-instance holder behind the cloud_event functions (checker, engine).

``LazyHandler.handle(event)`` builds its service from settings on the first
event (never at import time) and reuses it while warm; tests and the local
runner ``use`` a service of their own. A malformed event is logged and
acknowledged (retrying cannot fix it); ``Unavailable`` propagates so the
platform redelivers the event. Building the service stays outside that: a
deployment error (a bad setting) must fail loudly and be retried once fixed,
not be mistaken for a malformed event and dropped.

Cron events arrive from a Knative PingSource: they all have the type
``dev.knative.sources.ping``, so the Kosmos type rides in the ``kosmostype``
extension and ``scheduled_at`` is the event's ``time`` (the same for every
redelivery of one ping, so derived ids are too).
"""
from __future__ import annotations

import threading
from typing import Any, Generic, Protocol, TypeVar

from kosmos.config import Settings
from kosmos.errors import ValidationError
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


class LazyHandler(Generic[S]):
    """Holds one service per warm instance; subclasses say how to build it."""

    def __init__(self) -> None:
        self._service: S | None = None
        self._lock = threading.Lock()

    def build(self, settings: Settings) -> S:  # pragma: no cover - overridden
        raise NotImplementedError

    def use(self, service: S | None) -> None:
        """Handle events with ``service`` from now on (None: build from settings next time)."""
        with self._lock:
            self._service = service

    def service(self) -> S:
        with self._lock:
            if self._service is None:
                from kosmos.config import get_settings
                from kosmos.logs import configure

                settings = get_settings()
                configure(settings.log_level, settings.log_format)
                self._service = self.build(settings)
            return self._service

    def handle(self, event: Any) -> Any:
        """Dispatch a functions-framework CloudEvent on its (Kosmos) type."""
        service = self.service()
        try:
            return service.handle(*kosmos_event(event))
        except ValidationError as exc:
            log.error("dropped invalid event: %s", exc.message,
                      extra={"event_id": event["id"], "event_type": event["type"]})
            return None

