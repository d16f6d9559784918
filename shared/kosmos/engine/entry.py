"""The warm-instance holder behind ``functions/engine/main.py``.

``LazyEngine.handle(event)`` builds the EngineService from settings on the
first event (never at import time) and reuses it while warm; tests and the
local runner ``use`` their own. A malformed event is logged and acknowledged
(retrying cannot fix it); ``Unavailable`` (conductor or appliance down)
propagates so the platform redelivers the event. PingSource events (the
production cron) are read as the Kosmos event in their ``kosmostype``.
"""
from __future__ import annotations

import threading
from typing import Any

from kosmos.contracts.events import ENGINE_RECONCILE
from kosmos.engine.service import EngineService
from kosmos.errors import ValidationError
from kosmos.logs import get_logger

log = get_logger(__name__)


PING_TYPE = "dev.knative.sources.ping"


def kosmos_event(event: Any) -> tuple[str, dict[str, Any]]:
    """The Kosmos type and data of a CloudEvent.

    A Knative PingSource (the production cron) always sends type
    ``dev.knative.sources.ping``; the Kosmos type rides in the ``kosmostype``
    extension and the scheduled time is the event's ``time``.
    """
    data = dict(event.data or {}) if isinstance(event.data, dict) else (event.data or {})
    event_type = event["type"]
    if event_type == PING_TYPE and event.get("kosmostype"):
        event_type = event.get("kosmostype")
        if event_type == ENGINE_RECONCILE and isinstance(data, dict) and event.get("time"):
            data.setdefault("scheduled_at", event.get("time"))
    return event_type, data


class LazyEngine:
    def __init__(self) -> None:
        self._service: EngineService | None = None
        self._lock = threading.Lock()

    def use(self, service: EngineService | None) -> None:
        """Handle events with ``service`` from now on (None: build from settings next time)."""
        with self._lock:
            self._service = service

    def service(self) -> EngineService:
        with self._lock:
            if self._service is None:
                from kosmos import bootstrap
                from kosmos.config import get_settings
                from kosmos.logs import configure

                settings = get_settings()
                configure(settings.log_level, settings.log_format)
                self._service = bootstrap.engine_service(settings)
            return self._service

    def handle(self, event: Any) -> Any:
        """Dispatch a functions-framework CloudEvent on its (Kosmos) type."""
        try:
            event_type, data = kosmos_event(event)
            return self.service().handle(event_type, data)
        except ValidationError as exc:
            log.error("dropped invalid event: %s", exc.message,
                      extra={"event_id": event["id"], "event_type": event["type"]})
            return None
