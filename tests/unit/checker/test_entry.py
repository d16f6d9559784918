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
