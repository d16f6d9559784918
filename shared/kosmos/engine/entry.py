"""The warm-instance holder behind ``functions/engine/main.py``
(see ``kosmos.adapters.cloudevent_entry``)."""
from __future__ import annotations

from kosmos.adapters.cloudevent_entry import PING_TYPE, LazyHandler, kosmos_event
from kosmos.config import Settings
from kosmos import gc_tuning
from kosmos.engine.service import EngineService

__all__ = ["LazyEngine", "PING_TYPE", "kosmos_event"]


class LazyEngine(LazyHandler[EngineService]):
    def build(self, settings: Settings) -> EngineService:
        from kosmos import bootstrap

        service = bootstrap.engine_service(settings)
        gc_tuning.tune()   # once per warm instance: see kosmos.gc_tuning
        return service
