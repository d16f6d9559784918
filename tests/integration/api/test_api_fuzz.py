"""OpenAPI-driven fuzz of every operation against the real conductor (SQLite):
no 5xx and no response that breaks the document's own schema."""
from __future__ import annotations

import pytest

from kosmos.api.openapi import document

OPS = [(m, p) for p, ops in document()["paths"].items() for m in ops]


@pytest.fixture
def client(api, function_app):
    return function_app(api).test_client()


@pytest.mark.parametrize("method,path", OPS, ids=[f"{m} {p}" for m, p in OPS])
def test_fuzz_real_conductor(method, path, client, h, fuzzing):
    fuzzing.fuzz_operation(client, h, method, path, max_examples=12)
