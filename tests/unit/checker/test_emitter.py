from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kosmos.adapters.emitter import Event, InMemoryEmitter, Emitter, encode
from kosmos.contracts.events import (CHECK_BATCH, CHECK_RESULTS, CHECK_TICK, CheckBatch,
                                    CheckSpec, CheckTick, MonitorSpec)
from kosmos.errors import ValidationError


def test_publish_validates_and_wraps_in_a_cloudevent():
    pub = InMemoryEmitter(source="//kosmos/checker/R1")
    ev = pub.emit(CHECK_TICK, {"region": "R1", "scheduled_at": "2030-01-01T00:00:00Z"},
                     event_id="tick-1", subject="R1")
    assert ev.id == "tick-1" and ev.type == CHECK_TICK and ev.source == "//kosmos/checker/R1"
    assert ev.data == {"schema_version": 1, "region": "R1",
                       "scheduled_at": "2030-01-01T00:00:00Z", "period": 60.0}
    assert pub.of_type(CHECK_TICK) == [ev]
    h = ev.headers()
    assert h["ce-specversion"] == "1.0" and h["ce-id"] == "tick-1" and h["ce-subject"] == "R1"
    assert h["Content-Type"] == "application/json"


def test_models_are_accepted_as_data():
    tick = CheckTick(region="R1", scheduled_at=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert encode(CHECK_TICK, tick)["region"] == "R1"


def test_bad_data_names_the_field():
    with pytest.raises(ValidationError) as err:
        InMemoryEmitter().emit(CHECK_RESULTS, {"region": "R1"})
    assert err.value.field == "data.checker_id"


def test_unknown_event_type_is_refused():
    with pytest.raises(ValidationError):
        InMemoryEmitter().emit("kosmos.nope", {})


def test_a_subclass_only_implements_deliver():
    class Collecting(Emitter):
        def __init__(self):
            super().__init__("//test")
            self.seen: list[Event] = []

        def deliver(self, event: Event) -> None:
            self.seen.append(event)

    pub = Collecting()
    pub.emit(CHECK_TICK, {"region": "R", "scheduled_at": "2030-01-01T00:00:00Z"})
    assert len(pub.seen) == 1 and pub.seen[0].source == "//test"


def test_a_check_batch_leaves_defaults_out_and_reads_back_the_same():
    spec = CheckSpec(member_id="m1", pool_id="p1", project_id="x", address="192.0.2.1", port=80,
                     monitor=MonitorSpec(id="mon", type="HTTP", delay=10, timeout=2,
                                         max_retries=2, max_retries_down=3, url_path="/health"))
    batch = CheckBatch(region="R1", batch_id="R1/2030-01-01T00:00:00Z/0",
                       window_start=datetime(2030, 1, 1, tzinfo=timezone.utc),
                       deadline=datetime(2030, 1, 1, 0, 0, 1, tzinfo=timezone.utc), checks=[spec])
    ev = InMemoryEmitter().emit(CHECK_BATCH, batch)
    sent = ev.data["checks"][0]
    assert sent["monitor"]["url_path"] == "/health" and "http_method" not in sent["monitor"]
    assert "neutron_id" not in sent and ev.data["schema_version"] == 1
    assert CheckBatch.model_validate(ev.data) == batch
    # other events keep every field
    tick = InMemoryEmitter().emit(CHECK_TICK, {"region": "R1",
                                               "scheduled_at": "2030-01-01T00:00:00Z"})
    assert tick.data["period"] == 60.0
