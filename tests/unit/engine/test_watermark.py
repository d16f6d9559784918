"""The engine's watermark: only forward, never past the instance's clock."""
from __future__ import annotations

from datetime import timedelta

from kosmos.contracts.events import CheckResult
from kosmos.engine.watermark import Watermark

from .fakes import T0


def results(*seconds: float) -> list[CheckResult]:
    return [CheckResult(member_id="m", monitor_id="mon", ok=True, reason="ok",
                        checked_at=T0 + timedelta(seconds=s)) for s in seconds]


def test_the_watermark_moves_forward_only_and_never_past_the_clock():
    w = Watermark()
    assert w.at is None and w.advance([], T0) is None
    assert w.advance(results(5, 20, 10), T0 + timedelta(seconds=30)) == T0 + timedelta(seconds=20)
    assert w.advance(results(12), T0 + timedelta(seconds=31)) == T0 + timedelta(seconds=20)  # late
    # a checker whose clock runs ahead moves it to the instance's clock, no further
    assert w.advance(results(90), T0 + timedelta(seconds=40)) == T0 + timedelta(seconds=40)
    assert w.at == T0 + timedelta(seconds=40)
