"""The circuit breaker holds mass removals across GSLBs, lets the rest through."""
from __future__ import annotations

import pytest

from kosmos.domain.breaker import evaluate, removed_share

A = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]


@pytest.mark.parametrize("cur, des, share", [
    (A, A, 0.0), (A, A[:2], 0.5), (A, [], 1.0), ([], A, 0.0), (A, A + ["10.0.0.9"], 0.0),
    (A, ["10.0.0.9"], 1.0),
])
def test_removed_share(cur, des, share):
    assert removed_share(cur, des) == share


@pytest.mark.parametrize("changes, fraction, min_gslbs, held", [
    ({"g1": (A, []), "g2": (A, []), "g3": (A, [])}, 0.5, 3, {"g1", "g2", "g3"}),
    ({"g1": (A, []), "g2": (A, [])}, 0.5, 3, set()),                         # too few GSLBs
    ({"g1": (A, []), "g2": (A, []), "g3": (A, A[:3])}, 0.5, 3, set()),        # g3 loses 25 %
    ({"g1": (A, []), "g2": (A, A[:2]), "g3": (A, A[:1]), "g4": (A, A + ["x"])}, 0.5, 3,
     {"g1", "g2", "g3"}),                                                    # g4 still applies
    ({"g1": ([], A), "g2": ([], A), "g3": ([], A)}, 0.5, 3, set()),           # additions never trip
    ({"g1": (A, [])}, 0.5, 1, {"g1"}),
])
def test_evaluate(changes, fraction, min_gslbs, held):
    v = evaluate(changes, fraction, min_gslbs)
    assert set(v.held) == held
    assert bool(v.reason) == bool(held)
