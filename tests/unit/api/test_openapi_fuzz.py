"""Fuzz every operation of the OpenAPI document: no 5xx, nothing off-schema."""
from __future__ import annotations

import pytest

from kosmos.api.openapi import document

OPS = [(m, p) for p, ops in document()["paths"].items() for m in ops]


@pytest.mark.parametrize("method,path", OPS, ids=[f"{m} {p}" for m, p in OPS])
def test_fuzz_operation(method, path, client, h, fuzzing):
    fuzzing.fuzz_operation(client, h, method, path, max_examples=15)
