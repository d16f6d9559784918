"""The warm-instance holder behind ``functions/checker/main.py``.

``LazyChecker.handle(event)`` builds the CheckerService from settings on the
first event (never at import time) and reuses it while warm. Tests and the
local runner ``use`` a service of their own. A malformed event is logged and
acknowledged (retrying cannot fix it); ``Unavailable`` propagates so the
platform redelivers the event.

Cron ticks arrive from a Knative PingSource: its events all have the type
``dev.knative.sources.ping``, so the Kosmos type rides in the ``kosmostype``
extension and the tick's ``scheduled_at`` is the event's ``time`` (the same
for every redelivery of one tick, so its batch ids are too).
"""
from __future__ import annotations

import threading
from typing import Any

from kosmos.contracts.events import CHECK_TICK, EVENT_TYPES

from kosmos.checker.service import CheckerService
from kosmos.errors import ValidationError
from kosmos.logs import get_logger

log = get_logger(__name__)


class LazyChecker:
    def __init__(self) -> None:
        self._service: CheckerService | None = None
        self._lock = threading.Lock()

    def use(self, service: CheckerService | None) -> None:
        """Handle events with ``service`` from now on (None: build from settings next time)."""
        with self._lock:
            self._service = service

    def service(self) -> CheckerService:
        with self._lock:
            if self._service is None:
                from kosmos import bootstrap
                from kosmos.config import get_settings
                from kosmos.logs import configure

                settings = get_settings()
                configure(settings.log_level, settings.log_format)
                self._service = bootstrap.checker_service(settings)
            return self._service

    def handle(self, event: Any) -> Any:
        """Dispatch a functions-framework CloudEvent on its type."""
        # Outside the try: a deployment error (bad setting) must fail loudly and be
        # retried once fixed, not be mistaken for a malformed event and dropped.
        service = self.service()
        try:
            return service.handle(*kosmos_event(event))
        except ValidationError as exc:
            log.error("dropped invalid event: %s", exc.message,
                      extra={"event_id": event["id"], "event_type": event["type"]})
            return None



def kosmos_event(event: Any) -> tuple[str, dict[str, Any]]:
    """(Kosmos event type, data) of a CloudEvent, unwrapping a PingSource's ``kosmostype``."""
    event_type = event["type"]
    data = dict(event.data or {}) if isinstance(event.data or {}, dict) else event.data
    if event_type not in EVENT_TYPES and event.get("kosmostype"):
        event_type = event.get("kosmostype")
        if event_type == CHECK_TICK and isinstance(data, dict) and "scheduled_at" not in data:
            data["scheduled_at"] = event.get("time")
    return event_type, data
