"""functions/engine/main.py through the functions-framework test client."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from functions_framework import create_app

from kosmos.appliances.registry import Appliances
from kosmos.config import Settings
from kosmos.engine.deps import EngineDeps
from kosmos.engine.service import EngineService

from .fakes import Clock, FakeGateway, FlakyAppliance, batch

MAIN = Path(__file__).resolve().parents[3] / "functions" / "engine" / "main.py"


@pytest.fixture
def setup():
    gw = FakeGateway()
    gw.add_monitor("mon", rise=1, fall=1)
    gw.add_pool("A")
    gw.add_member("a1", "A", "192.0.2.1")
    gw.add_gslb("g1", "www.example.com.", [("A", 1)])
    settings = Settings(appliance="flaky", regions=["r1"])
    app = FlakyAppliance(settings)
    clock = Clock()
    service = EngineService(EngineDeps(gw, Appliances(settings, {"flaky": app}), settings, clock))
    flask_app = create_app("kosmos_engine", str(MAIN), "cloudevent")
    main = next(m for m in sys.modules.values()
                if getattr(m, "__file__", None) == str(MAIN) and hasattr(m, "INSTANCE"))
    main.INSTANCE.use(service)
    yield flask_app.test_client(), gw, app, clock
    main.INSTANCE.use(None)


def post(client, etype: str, data: dict, eid: str = "e1"):
    return client.post("/", json=data, headers={
        "ce-specversion": "1.0", "ce-type": etype, "ce-source": "//test", "ce-id": eid,
        "Content-Type": "application/json"})


def test_results_and_reconcile_through_the_function(setup):
    client, gw, app, clock = setup
    clock.advance(5)
    resp = post(client, "kosmos.check.results", batch("r1", [("a1", True, clock.now)]))
    assert resp.status_code == 200
    assert gw.members["a1"].operating_status.value == "ONLINE"
    assert app.get_answer("www.example.com.", "example.com.").addresses == ["192.0.2.1"]
    assert post(client, "kosmos.engine.reconcile", {"scope": "all"}, "e2").status_code == 200


def test_bad_event_is_dropped_and_conductor_down_is_retried(setup):
    client, gw, app, clock = setup
    assert post(client, "kosmos.check.results", {"region": 5}).status_code == 200   # acknowledged
    gw.down = True
    resp = post(client, "kosmos.check.results", batch("r1", [("a1", True, clock.now)]))
    # 503 with Retry-After, which the platform redelivers; not a 500 and a stack trace
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) >= 1


def test_knative_ping_is_read_as_its_kosmos_type(setup):
    client, gw, app, clock = setup
    resp = client.post("/", json={"schema_version": 1, "scope": "all"}, headers={
        "ce-specversion": "1.0", "ce-type": "dev.knative.sources.ping", "ce-source": "//ping",
        "ce-id": "p1", "ce-time": "2026-01-01T12:00:00Z", "ce-kosmostype": "kosmos.engine.reconcile",
        "Content-Type": "application/json"})
    assert resp.status_code == 200
    assert app.get_answer("www.example.com.", "example.com.").addresses == ["192.0.2.1"]
    history = gw.entries("gslb")
    assert history and history[0].dedupe_key.endswith("reconcile:2026-01-01T12:00:00+00:00")


def test_with_a_signing_key_forged_results_move_nothing_and_pings_still_work(setup):
    """A forged region-wide 'down' would pull the member out of DNS: unsigned, it is dropped."""
    from kosmos.adapters.event_signature import EXTENSION, signature

    client, gw, app, clock = setup
    key = signing_engine(gw, app, clock)
    clock.advance(5)
    up = batch("r1", [("a1", True, clock.now)])
    sig = signature(key, "kosmos.check.results", "e1", "//test", up)
    resp = client.post("/", json=up, headers={
        "ce-specversion": "1.0", "ce-type": "kosmos.check.results", "ce-source": "//test",
        "ce-id": "e1", f"ce-{EXTENSION}": sig, "Content-Type": "application/json"})
    assert resp.status_code == 200 and gw.members["a1"].operating_status.value == "ONLINE"
    clock.advance(10)
    down = batch("r1", [("a1", False, clock.now)])
    assert post(client, "kosmos.check.results", down, "e2").status_code == 200   # unsigned
    assert gw.members["a1"].operating_status.value == "ONLINE"
    assert app.get_answer("www.example.com.", "example.com.").addresses == ["192.0.2.1"]
    # the platform's ping needs no signature
    resp = client.post("/", json={"scope": "all"}, headers={
        "ce-specversion": "1.0", "ce-type": "dev.knative.sources.ping", "ce-source": "//ping",
        "ce-id": "p2", "ce-time": "2026-01-01T12:01:00Z", "ce-kosmostype": "kosmos.engine.reconcile",
        "Content-Type": "application/json"})
    assert resp.status_code == 200 and gw.entries("gslb")


def app_registry(app):
    return Appliances(app.settings, {"flaky": app})


def signing_engine(gw, app, clock) -> str:
    """The function's engine, now with a signing key; returns the key."""
    key = "s" * 40
    service = EngineService(EngineDeps(gw, app_registry(app), Settings(
        appliance="flaky", regions=["r1"], event_signing_key=key), clock))
    main = next(m for m in sys.modules.values()
                if getattr(m, "__file__", None) == str(MAIN) and hasattr(m, "INSTANCE"))
    main.INSTANCE.use(service)
    return key


def test_a_signed_batch_is_checked_on_the_body_it_came_in(setup, monkeypatch):
    """The function checks the signature on the bytes it got: the batch's data is not
    written again in canonical form (which took a tenth of the engine's CPU)."""
    from kosmos.adapters import event_signature
    from kosmos.adapters.emitter import InMemoryEmitter, body_of

    client, gw, app, clock = setup
    key = signing_engine(gw, app, clock)
    clock.advance(5)
    ev = InMemoryEmitter(source="//test", signing_key=key).emit(
        "kosmos.check.results", batch("r1", [("a1", True, clock.now)]), event_id="e1")
    monkeypatch.setattr(event_signature, "signature", lambda *a: pytest.fail("data written again"))
    resp = client.post("/", data=body_of(ev), headers={**ev.headers(), "ce-time": "2026-01-01T00:00:00Z"})
    assert resp.status_code == 200 and gw.members["a1"].operating_status.value == "ONLINE"
