"""What every check shares."""
from __future__ import annotations

import time

from kosmos.probes.base import elapsed_ms


def test_elapsed_ms_is_milliseconds_to_the_microsecond():
    started = time.perf_counter() - 0.0123456
    ms = elapsed_ms(started)
    assert 12.345 <= ms < 12.345 + 5_000   # the call itself takes a little
    assert ms == round(ms, 3)
