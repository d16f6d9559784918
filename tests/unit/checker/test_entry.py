from __future__ import annotations

import pytest

from kosmos.checker.entry import LazyChecker
from kosmos.errors import Unavailable, ValidationError


class Event(dict):
    data = {"region": "R1"}


class MisconfiguredChecker(LazyChecker):
    """A deployment whose settings do not validate (e.g. a bad deny_cidrs entry)."""

    def service(self):
        raise ValidationError("deny_cidrs: '10.0.0.0/33' is not a CIDR", field="deny_cidrs")


class Handler:
    def __init__(self, exc):
        self.exc = exc

    def handle(self, event_type, data):
        raise self.exc


def test_a_deployment_error_is_not_mistaken_for_a_bad_event():
    with pytest.raises(ValidationError):
        MisconfiguredChecker().handle(Event(type="kosmos.check.tick", id="e1"))


def test_a_malformed_event_is_acknowledged():
    checker = LazyChecker()
    checker.use(Handler(ValidationError("data.scheduled_at: field required")))
    assert checker.handle(Event(type="kosmos.check.tick", id="e1")) is None


def test_a_dependency_outage_propagates_for_redelivery():
    checker = LazyChecker()
    checker.use(Handler(Unavailable("conductor unreachable")))
    with pytest.raises(Unavailable):
        checker.handle(Event(type="kosmos.check.tick", id="e1"))


class CloudEvent(dict):
    """The attribute access functions-framework's CloudEvent offers."""

    def __init__(self, attributes, data):
        super().__init__(attributes)
        self.data = data


class Recording:
    def __init__(self):
        self.seen = []

    def handle(self, event_type, data):
        self.seen.append((event_type, data))


def test_a_pingsource_event_becomes_a_tick_scheduled_at_its_time():
    from kosmos.contracts.events import CheckTick

    checker, recorder = LazyChecker(), Recording()
    checker.use(recorder)
    checker.handle(CloudEvent({"type": "dev.knative.sources.ping", "id": "p1",
                               "time": "2030-01-01T12:00:00Z", "kosmostype": "kosmos.check.tick",
                               "kosmosregion": "regionone"},
                              {"schema_version": 1, "region": "RegionOne", "period": 60}))
    [(event_type, data)] = recorder.seen
    tick = CheckTick.model_validate(data)
    assert event_type == "kosmos.check.tick" and tick.region == "RegionOne"
    assert tick.scheduled_at.isoformat() == "2030-01-01T12:00:00+00:00"


def test_kosmos_events_pass_through_unchanged():
    checker, recorder = LazyChecker(), Recording()
    checker.use(recorder)
    data = {"region": "R1", "scheduled_at": "2030-01-01T00:00:00Z"}
    checker.handle(CloudEvent({"type": "kosmos.check.tick", "id": "e", "time": "2031-01-01T00:00:00Z"},
                              data))
    assert recorder.seen == [("kosmos.check.tick", data)]
