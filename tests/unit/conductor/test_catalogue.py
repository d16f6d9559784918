"""Every operation the contract's catalogue names is served, and nothing else."""
from __future__ import annotations

import re

import kosmos.contracts.conductor as contract
from kosmos.conductor.ops import OPS

RESOURCES = ("monitor", "pool", "member", "gslb", "webhook")
VERBS = ("create", "get", "list", "update", "delete")


def _catalogue() -> set[str]:
    doc = contract.__doc__ or ""
    # lines of the catalogue start with an operation name, two spaces in
    names = set(re.findall(r"^\s{2,}((?:[a-z]+)\.[a-z_]+(?:\.[a-z_]+)?)\s", doc, re.M))
    names |= set(re.findall(r"\s{3,}((?:member|pool|gslb)\.status) \{", doc))
    names |= {f"{r}.{v}" for r in RESOURCES for v in VERBS}
    return {n for n in names if not n.startswith("{r}")}


def test_every_catalogued_operation_is_registered():
    expected = _catalogue()
    assert len(expected) > 30
    assert expected - set(OPS) == set()
    assert set(OPS) - expected == set()
