"""The engine's event dispatch: validate ``data`` by event type, call the handler."""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticError

from kosmos.contracts.events import (CHECK_RESULTS, ENGINE_DECIDE, ENGINE_RECONCILE, CheckResults,
                                     EngineDecide, EngineReconcile)
from kosmos.engine.confirm import Confirmer
from kosmos.engine.decide import handle_decide
from kosmos.engine.deps import EngineDeps
from kosmos.engine.reconcile import handle_reconcile
from kosmos.engine.results import handle_results
from kosmos.engine.recheck import Rechecks
from kosmos.engine.webhooks import WebhookSender
from kosmos.engine.wakeups import wake_due
from kosmos.errors import ValidationError, from_pydantic


class EngineService:
    """One warm engine: ``handle(event_type, data)``; Unavailable means "redeliver"."""

    def __init__(self, deps: EngineDeps):
        self.deps = deps
        self.confirmer = Confirmer(deps)
        self.webhooks = WebhookSender(deps.gateway, deps.settings, deps.clock)
        if deps.rechecks is None:
            deps.rechecks = Rechecks(deps.settings, deps.emitter_for)

    def handle(self, event_type: str, data: dict[str, Any] | None) -> dict[str, Any]:
        try:
            if event_type == CHECK_RESULTS:
                out = handle_results(CheckResults.model_validate(data or {}), self.deps)
                out = {**out, **self.confirmer.maybe()}
            elif event_type == ENGINE_DECIDE:
                out = handle_decide(EngineDecide.model_validate(data or {}), self.deps)
                out = {**out, **self.confirmer.maybe()}
            elif event_type == ENGINE_RECONCILE:
                out = handle_reconcile(EngineReconcile.model_validate(data or {}), self.deps)
            else:
                out = None
            if out is not None and event_type != ENGINE_RECONCILE:
                out = {**out, **wake_due(self.deps)}
        except PydanticError as exc:
            raise from_pydantic(exc, "data") from exc
        if out is None:
            raise ValidationError(f"the engine does not handle events of type {event_type!r}",
                                  field="type")
        # Anything stored may owe webhook deliveries (history, a failed publish, a hold).
        stored = bool(out.get("moves") or out.get("published") or out.get("held")
                      or out.get("errors") or out.get("confirmed") or out.get("woken"))
        out = {**out, **self.webhooks.maybe(stored)}
        self.deps.gateway.flush_metrics()
        return out
