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
