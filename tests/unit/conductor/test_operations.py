"""The typed conductor contract: every operation the conductor serves is in the
catalogue, and its handler takes exactly the operation's argument model."""
from __future__ import annotations

import inspect
import typing

import pytest

import kosmos.conductor.ops as ops
from kosmos.contracts import operations
from kosmos.errors import ValidationError


def test_the_conductor_serves_the_catalogue_and_nothing_else():
    assert set(ops.OPS) == set(operations.CATALOGUE)
    for name, (operation, _handler) in ops.OPS.items():
        assert operations.CATALOGUE[name] is operation


@pytest.mark.parametrize("name", sorted(operations.CATALOGUE))
def test_each_handler_takes_its_operations_model(name):
    operation, handler = ops.OPS[name]
    hints = typing.get_type_hints(handler)
    second = list(inspect.signature(handler).parameters)[1]
    assert hints[second] is operation.args, f"{name}: {hints[second]} is not {operation.args}"
    assert operation.args.__module__ == "kosmos.contracts.operations"


def test_the_client_checks_arguments_before_the_wire():
    from kosmos.adapters.conductor_client import ConductorClient

    class NoWire:
        def send(self, envelope):   # pragma: no cover - must not be reached
            raise AssertionError("sent")
    client = ConductorClient(NoWire())
    with pytest.raises(ValidationError) as err:
        client.invoke(operations.GSLB_TREES, {"limit": 0})
    assert err.value.field == "limit"


@pytest.mark.parametrize("who", ["engine", "checker", "api"])
def test_each_functions_metrics_reach_the_conductor(who):
    """The metrics flushes go through the typed client like every other call (a flush
    swallows errors, so a wrong call would lose the counts without a word)."""
    from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
    from kosmos.contracts.metrics import MetricsBuffer, flush
    from kosmos.engine.gateway import EngineGateway

    sent = []

    def handler(envelope):
        sent.append(envelope["op"])
        return 200, {"result": {"added": 1}}
    buffer = MetricsBuffer(0)
    client = ConductorClient(InProcessTransport(handler), metrics=buffer, caller=who)
    buffer.add("kosmos_probes_total", 1, region="R")
    if who == "engine":
        assert EngineGateway(client).flush_metrics(force=True) == 1
    else:   # the checker's and the api's flush, as they call it
        assert flush(buffer, lambda op, args: client.call(op, args), force=True) == 1
    assert sent == ["metrics.add"]


@pytest.mark.parametrize("name", sorted(operations.CATALOGUE))
def test_each_operation_states_its_result(name):
    """Every operation names what it answers: a model of the contracts, a list of one,
    or None (an answer is checked against it; see tests/conftest.py)."""
    operation = operations.CATALOGUE[name]
    kinds = [k for k in (typing.get_args(operation.result) or (operation.result,))
             if k is not None]
    for kind in kinds:
        assert isinstance(kind, type) and kind.__module__.startswith("kosmos.contracts."), name
    if operation.result is None:
        assert operation.parse(None) is None


def test_an_answer_that_does_not_fit_is_unavailable_naming_the_field():
    """A conductor of another version is retried, never taken for the caller's mistake."""
    from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
    from kosmos.errors import Unavailable

    client = ConductorClient(InProcessTransport(
        lambda envelope: (200, {"result": {"items": [{"gslb": "not a gslb"}]}})))
    with pytest.raises(Unavailable) as err:
        client.invoke(operations.GSLB_TREES, {"limit": 5})
    assert err.value.field == "result.items.0.gslb"
    assert "gslb.trees" in err.value.message


def test_the_client_hands_back_the_operations_model():
    from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
    from kosmos.contracts.results import Changed

    client = ConductorClient(InProcessTransport(
        lambda envelope: (200, {"result": {"changed": ["m1"], "new_field": 1}})))
    answer = client.invoke(operations.ENDPOINTS_SET, {"updates": []})
    assert isinstance(answer, Changed) and answer.changed == ["m1"]
