"""The checker function end to end: CloudEvents in through functions-framework, events out."""
from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import functions_framework
import pytest

from kosmos.adapters.conductor_client import ConductorClient
from kosmos.adapters.emitter import InMemoryEmitter
from kosmos.checker.schedule import to_epoch
from kosmos.checker.service import CheckerService
from kosmos.checker.tick import LEAD
from kosmos.probes.registry import load_checks
from kosmos.config import Settings
from kosmos.contracts.events import CHECK_BATCH, CHECK_RESULTS, CheckResults

from .conftest import REQUESTS

MAIN = Path(__file__).resolve().parents[3] / "functions" / "checker" / "main.py"


def due(member: str, port: int, **monitor) -> dict:
    return {"member_id": member, "pool_id": "pool", "project_id": "p", "address": "127.0.0.1",
            "port": port, "monitor": {"id": f"mon-{member}" if monitor else "mon", "type": "HTTP", "delay": 1, "timeout": 0.4,
                                      "max_retries": 1, "max_retries_down": 1, **monitor}}


@pytest.fixture
def client_and_bus(fake_conductor_transport):
    app = functions_framework.create_app("kosmos_checker", str(MAIN), "cloudevent")
    module = sys.modules["main"]
    bus = InMemoryEmitter()
    settings = Settings(region="R1", allow_loopback=True, batch_size=2, results_interval=0.5)
    module.INSTANCE.use(CheckerService(settings, ConductorClient(fake_conductor_transport), bus,
                                       load_checks(settings), checker_id="test-checker"))
    yield app.test_client(), bus
    module.INSTANCE.use(None)


def post(client, event_type: str, data: dict, event_id: str = "e1"):
    import json
    return client.post("/", data=json.dumps(data), headers={
        "ce-specversion": "1.0", "ce-type": event_type, "ce-id": event_id,
        "ce-source": "//test", "Content-Type": "application/json"})


def test_tick_then_batch_streams_results(client_and_bus, fake_conductor_transport, http_server, closed):
    fake_conductor_transport.checks = [due("healthy", http_server.port),
                                       due("closed", closed),
                                       due("slow", http_server.port, url_path="/slow")]
    start = datetime.now(timezone.utc)
    client, bus = client_and_bus
    resp = post(client, "kosmos.check.tick",
                {"region": "R1", "scheduled_at": start.isoformat(), "period": 2.5})
    assert resp.status_code == 200
    batches = bus.of_type(CHECK_BATCH)
    opens = start + timedelta(seconds=LEAD)   # the tick plans a little ahead
    assert [b.id for b in batches] == [f"R1/{opens:%Y-%m-%dT%H:%M:%S}Z/0", f"R1/{opens:%Y-%m-%dT%H:%M:%S}Z/1"]

    # Batches run side by side, as on separate function instances.
    with ThreadPoolExecutor(len(batches)) as pool:
        codes = list(pool.map(lambda b: post(client, CHECK_BATCH, b.data, b.id).status_code, batches))
    assert codes == [200] * len(batches)
    results = [CheckResults.model_validate(e.data) for e in bus.of_type(CHECK_RESULTS)]
    assert all(r.region == "R1" and r.checker_id == "test-checker" for r in results)
    flat = [x for r in results for x in r.results]
    verdicts = {(x.member_id, x.ok, x.reason) for x in flat}
    assert verdicts == {("healthy", True, "HTTP 200"), ("closed", False, "connection refused"),
                        ("slow", False, "timeout after 0.4s")}
    # Results stream while the window runs: each leaves within results_interval (0.5 s)
    # of completing, plus slack for a loaded machine, not at the window's end.
    for event in bus.of_type(CHECK_RESULTS):
        for r in CheckResults.model_validate(event.data).results:
            completed = to_epoch(r.checked_at) + r.latency_ms / 1000.0
            assert event.time.timestamp() - completed < 1.0
    window = (to_epoch(opens), to_epoch(opens + timedelta(seconds=2.5)))
    assert all(window[0] <= to_epoch(x.checked_at) < window[1] for x in flat)
    assert time.time() - window[1] < 1.0  # a batch ends with its window


def test_malformed_event_is_acknowledged_not_retried(client_and_bus):
    client, bus = client_and_bus
    assert post(client, "kosmos.check.batch", {"region": "R1"}).status_code == 200
    assert post(client, "kosmos.check.unknown", {}).status_code == 200
    assert bus.events == []


def test_a_tick_or_batch_for_another_region_is_refused(client_and_bus, fake_conductor_transport,
                                                      http_server):
    """A checker probes from its own region only: a misrouted tick or batch would report
    this region's view as another's verdict, so it is acknowledged and dropped."""
    fake_conductor_transport.checks = [due("healthy", http_server.port)]
    client, bus = client_and_bus
    start = datetime.now(timezone.utc)
    assert post(client, "kosmos.check.tick", {"region": "R2", "scheduled_at": start.isoformat(),
                                              "period": 2.5}).status_code == 200
    assert bus.events == []
    # The same tick for its own region yields a batch; re-addressed to R2, it is refused.
    assert post(client, "kosmos.check.tick", {"region": "R1", "scheduled_at": start.isoformat(),
                                              "period": 2.5}).status_code == 200
    [batch] = bus.of_type(CHECK_BATCH)
    assert post(client, CHECK_BATCH, {**batch.data, "region": "R2"}, "e2").status_code == 200
    assert bus.of_type(CHECK_RESULTS) == []


KEY = "k" * 40


def test_with_a_signing_key_only_signed_events_are_acted_on(fake_conductor_transport, http_server):
    """A forged or unsigned batch (probes aimed anywhere) or tick is logged and dropped; a
    signed one runs, and what the checker emits is signed in turn."""
    import json

    from kosmos.adapters.event_signature import EXTENSION, holds, signature

    app = functions_framework.create_app("kosmos_checker", str(MAIN), "cloudevent")
    module = sys.modules["main"]
    bus = InMemoryEmitter(signing_key=KEY)
    settings = Settings(region="R1", allow_loopback=True, batch_size=2, results_interval=0.5,
                        event_signing_key=KEY)
    module.INSTANCE.use(CheckerService(settings, ConductorClient(fake_conductor_transport), bus,
                                       load_checks(settings), checker_id="test-checker"))
    fake_conductor_transport.checks = [due("healthy", http_server.port)]
    client = app.test_client()
    tick = {"region": "R1", "scheduled_at": datetime.now(timezone.utc).isoformat(), "period": 1.0}

    def send(sig: str | None, event_id: str = "t1", data: dict = tick):
        headers = {"ce-specversion": "1.0", "ce-type": "kosmos.check.tick", "ce-id": event_id,
                   "ce-source": "//kosmos/test", "Content-Type": "application/json"}
        if sig is not None:
            headers[f"ce-{EXTENSION}"] = sig
        return client.post("/", data=json.dumps(data), headers=headers)

    try:
        assert send(None).status_code == 200                       # unsigned
        assert send("0" * 64).status_code == 200                   # forged
        assert send(signature("another-key" * 4, "kosmos.check.tick", "t1", "//kosmos/test",
                              tick)).status_code == 200          # signed by someone else
        assert bus.events == []                                    # none was acted on
        good = signature(KEY, "kosmos.check.tick", "t2", "//kosmos/test", tick)
        tampered = {**tick, "period": 2.0}
        assert send(good, "t2", tampered).status_code == 200       # data changed in transit
        assert bus.events == []
        assert send(good, "t2").status_code == 200
        (batch,) = bus.of_type(CHECK_BATCH)
        assert holds(KEY, batch.type, batch.id, batch.source, batch.data, batch.signature)
    finally:
        module.INSTANCE.use(None)


def test_names_on_one_endpoint_share_its_probes(fake_conductor_transport, http_server):
    """Thirty members, each with a monitor of its own, on one endpoint with the same
    settings: the endpoint is asked once per instant of their common grid, not thirty
    times, and each member still gets a result of its own."""
    path = "/shared-probe"
    fake_conductor_transport.checks = [
        {**due(f"m{i}", http_server.port, url_path=path), "project_id": "p"} for i in range(30)]
    app = functions_framework.create_app("kosmos_checker", str(MAIN), "cloudevent")
    module = sys.modules["main"]
    bus = InMemoryEmitter()
    settings = Settings(region="R1", allow_loopback=True, results_interval=0.5)
    module.INSTANCE.use(CheckerService(settings, ConductorClient(fake_conductor_transport), bus,
                                       load_checks(settings), checker_id="test-checker"))
    try:
        client = app.test_client()
        start = datetime.now(timezone.utc)
        before = REQUESTS[path]
        assert post(client, "kosmos.check.tick", {"region": "R1", "scheduled_at": start.isoformat(),
                                                  "period": 2.5}).status_code == 200
        [batch] = bus.of_type(CHECK_BATCH)
        assert post(client, CHECK_BATCH, batch.data, batch.id).status_code == 200
    finally:
        module.INSTANCE.use(None)
    flat = [x for e in bus.of_type(CHECK_RESULTS) for x in CheckResults.model_validate(e.data).results]
    instants = {x.checked_at for x in flat}
    assert 2 <= len(instants) <= 3 and REQUESTS[path] - before == len(instants)
    assert sorted((x.member_id, x.monitor_id, x.checked_at) for x in flat) == sorted(
        (f"m{i}", f"mon-m{i}", when) for i in range(30) for when in instants)
    assert all(x.ok and x.reason == "HTTP 200" for x in flat)
