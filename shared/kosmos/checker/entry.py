"""The warm-instance holder behind ``functions/checker/main.py``
(see ``kosmos.adapters.cloudevent_entry``)."""
from __future__ import annotations

from kosmos import gc_tuning
from kosmos.adapters.cloudevent_entry import LazyHandler, kosmos_event
from kosmos.checker.service import CheckerService
from kosmos.config import Settings

__all__ = ["LazyChecker", "kosmos_event"]


class LazyChecker(LazyHandler[CheckerService]):
    def build(self, settings: Settings) -> CheckerService:
        from kosmos import bootstrap

        service = bootstrap.checker_service(settings)
        gc_tuning.tune()   # once per warm instance: see kosmos.gc_tuning
        return service
