"""The warm-instance holder behind ``functions/checker/main.py``.

``LazyChecker.handle(event)`` builds the CheckerService from settings on the
first event (never at import time) and reuses it while warm. Tests and the
local runner ``use`` a service of their own. A malformed event is logged and
acknowledged (retrying cannot fix it); ``Unavailable`` propagates so the
platform redelivers the event.
"""
from __future__ import annotations

import threading
from typing import Any

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
            return service.handle(event["type"], event.data or {})
        except ValidationError as exc:
            log.error("dropped invalid event: %s", exc.message,
                      extra={"event_id": event["id"], "event_type": event["type"]})
            return None

