"""The events the Terraform's PingSources emit, delivered to the real entry points.

Knative gives every PingSource event the type ``dev.knative.sources.ping``;
the modules put the Kosmos type in the ``kosmostype`` extension and leave
``scheduled_at`` to the event's ``time``. These tests send such an event, as a
broker delivers it (binary HTTP), through functions-framework to the
function's main.py and check the service underneath receives the Kosmos
event it stands for.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from functions_framework import create_app

from kosmos.checker.service import CheckerService
from kosmos.contracts.events import CHECK_TICK, ENGINE_RECONCILE, CheckTick, EngineReconcile
from kosmos.engine.service import EngineService

REPO = Path(__file__).resolve().parents[3]
class RecordingChecker(CheckerService):
    """A checker service that only records what the entry point hands it."""

    def __init__(self) -> None:  # no dependencies: nothing is probed
        self.seen: list[tuple[str, dict]] = []

    def handle(self, event_type, data):
        self.seen.append((event_type, data))


class RecordingEngine(EngineService):
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict]] = []

    def handle(self, event_type, data):
        self.seen.append((event_type, data))
        return {}


def ping_source_spec(tf_modules, module: str) -> dict:
    for (rtype, _), body in tf_modules[module].resources.items():
        manifest = body.get("manifest", {})
        if rtype == "kubernetes_manifest" and manifest.get("kind") == "PingSource":
            return manifest["spec"]
    raise AssertionError(f"{module} has no PingSource")


def deliver(function: str, target: str, recorder, extensions: dict, data: dict, when: datetime) -> None:
    source = REPO / "functions" / function / "main.py"
    if not source.is_file():
        pytest.skip(f"functions/{function}/main.py does not exist yet")
    app = create_app(target, str(source), "cloudevent")
    sys.modules["main"].INSTANCE.use(recorder)
    try:
        headers = {"ce-specversion": "1.0", "ce-id": "ping-1", "ce-type": "dev.knative.sources.ping",
                   "ce-source": f"/apis/v1/namespaces/kosmos/pingsources/{function}",
                   "ce-time": when.isoformat().replace("+00:00", "Z"), "Content-Type": "application/json"}
        headers.update({f"ce-{k}": v for k, v in extensions.items()})
        response = app.test_client().post("/", data=json.dumps(data), headers=headers)
        assert response.status_code < 300, response.get_data(as_text=True)
    finally:
        sys.modules["main"].INSTANCE.use(None)


def test_the_regional_ping_reaches_the_checker_as_a_tick(tf_modules):
    spec = ping_source_spec(tf_modules, "modules/regional")
    extensions = {k: v.replace("${var.region.slug}", "regionone") for k, v in spec["ceOverrides"]["extensions"].items()}
    when = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    recorder = RecordingChecker()
    deliver("checker", "kosmos_checker", recorder, extensions,
            {"schema_version": 1, "region": "RegionOne", "period": 60}, when)
    assert [t for t, _ in recorder.seen] == [CHECK_TICK]
    tick = CheckTick.model_validate(recorder.seen[0][1])
    assert tick.region == "RegionOne" and tick.scheduled_at == when


def test_the_global_ping_reaches_the_engine_as_a_reconcile(tf_modules):
    spec = ping_source_spec(tf_modules, "modules/global")
    recorder = RecordingEngine()
    deliver("engine", "kosmos_engine", recorder, spec["ceOverrides"]["extensions"],
            {"schema_version": 1, "scope": "all"}, datetime.now(timezone.utc))
    assert [t for t, _ in recorder.seen] == [ENGINE_RECONCILE]
    assert EngineReconcile.model_validate(recorder.seen[0][1]).scope == "all"
