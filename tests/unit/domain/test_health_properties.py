"""Properties of the thresholds: order, duplication and splitting of deliveries do not matter."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from kosmos.contracts.events import CheckResult
from kosmos.contracts.health import Verdict
from kosmos.domain.health import apply_results, new_state

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)

outcomes = st.lists(st.booleans(), min_size=0, max_size=30)


def as_results(oks: list[bool]) -> list[CheckResult]:
    return [CheckResult(member_id="m", monitor_id="mon", ok=ok, reason="x",
                        checked_at=T0 + timedelta(seconds=10 * i)) for i, ok in enumerate(oks)]


@settings(max_examples=200, deadline=None)
@given(oks=outcomes, rise=st.integers(1, 5), fall=st.integers(1, 5), data=st.data())
def test_in_order_deliveries_with_duplicates_equal_one_batch(oks, rise, fall, data):
    results = as_results(oks)
    whole, _ = apply_results(new_state("m", "mon", "r", "p"), results, rise, fall)
    # Split into consecutive batches, each possibly shuffled and redelivered.
    cuts = sorted(data.draw(st.lists(st.integers(0, len(results)), max_size=5)))
    state = new_state("m", "mon", "r", "p")
    start = 0
    for cut in [*cuts, len(results)]:
        chunk = data.draw(st.permutations(results[start:cut]))
        for _ in range(data.draw(st.integers(1, 2))):
            state, _ = apply_results(state, chunk, rise, fall)
        start = cut
    assert state == whole


@settings(max_examples=200, deadline=None)
@given(oks=outcomes, rise=st.integers(1, 5), fall=st.integers(1, 5))
def test_verdict_follows_the_last_run(oks, rise, fall):
    state, changes = apply_results(new_state("m", "mon", "r", "p"), as_results(oks), rise, fall)
    # Verdict is decided by the newest run of equal outcomes long enough to cross a threshold.
    expected = Verdict.UNKNOWN
    run, last = 0, None
    for ok in oks:
        run = run + 1 if ok == last else 1
        last = ok
        if ok and run >= rise:
            expected = Verdict.UP
        elif not ok and run >= fall:
            expected = Verdict.DOWN
    assert state.verdict == expected
    assert state.consecutive_ok <= rise and state.consecutive_fail <= fall
    # Each recorded change really moved the verdict, and they chain.
    prev = Verdict.UNKNOWN
    for ch in changes:
        assert ch.from_verdict == prev and ch.to_verdict != prev
        prev = ch.to_verdict
    assert prev == state.verdict
