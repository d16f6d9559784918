"""Garbage-collector settings for a warm instance of any function.

An engine's results batch allocates tens of thousands of short-lived objects
(records, states, history entries), a checker's a few for every probe of
thousands a second, the conductor's answers (an ``engine.context`` of 2,000
members is 7 MB of records) and the api's requests theirs, and almost none of
them form cycles. With CPython's defaults that triggers a young collection
every 700 allocations and, now and then, a full collection that walks every
object the process holds (SQLAlchemy, pydantic, the drivers, a batch's checks,
the engine's memory of health rows): measured at up to 85 ms in the middle of a
decisive engine batch, which is most of the latency budget from result to DNS,
and at about a tenth of the checker's CPU per probe
(bench/bench_checker_vs_haproxy.py). Reading one 2,000-member ``engine.context``
answer beside 300,000 live records took a median 42 ms with young collections
every 100,000 allocations, 55 ms every 20,000, 59 ms with the defaults (and up
to 525 ms when a full collection fell in it), 46 ms with no collection at all.

``tune()`` runs once, when the warm instance has been built: it moves what
exists by then (modules, schemas, the service) out of the collector's sight
(``gc.freeze``) and collects the young generations less often. Cycles are
still collected; reference counting frees everything else as before.
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 100_000   # allocations between young collections (CPython default 700)


def tune() -> None:
    """Freeze the objects alive now and make young collections rarer (idempotent)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, max(middle, 10), max(old, 10))
