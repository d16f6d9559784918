"""Splitting a region's due checks into batches with deterministic ids.

A batch must finish within its window, so it is capped both in checks
(``batch_size``) and in load (``batch_max_rate``: the sum of cost/delay, where
each check plugin declares its ``cost`` in plain-probe equivalents, e.g. HTTPS
about six for its TLS handshake). Checks are ordered by (probe identity, member,
monitor) before cutting, so the same due list always yields the same batches and
the same ``batch_id``s (``<region>/<window start>/<shard>``), whoever builds them
and however often; checks of one probe (``kosmos.probes.identity``) sit together, so a batch
runs their probe once, and the load counts it once. Within a batch they travel as one
spec (``kosmos.probes.folding``).
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Callable, Sequence

from kosmos.contracts.events import CheckSpec
from kosmos.probes.folding import fold
from kosmos.probes.identity import probe_identity
from kosmos.probes.registry import cost_of

_cost = lru_cache(maxsize=None)(cost_of)


def shard(checks: list[CheckSpec], batch_size: int, max_rate: float,
          window: float | None = None, folds: Callable[[CheckSpec], bool] | None = None,
          identities: Sequence[str] | None = None) -> list[list[CheckSpec]]:
    """Cut ``checks`` into batches of at most ``batch_size`` checks and ``max_rate`` probes/s.

    With ``window`` (seconds), ``checks`` are those with a slot in a window that long:
    each probes at least once in it, so a check counts 1/min(delay, window) per second.
    With ``folds``, the checks of one probe in a batch for which it says yes travel as one
    spec (``kosmos.probes.folding.fold``); they still count one by one against
    ``batch_size``. ``identities``: each check's probe identity, when known.
    """
    if identities is None:
        identities = [probe_identity(c) for c in checks]
    ordered = sorted((((identity, c.member_id, c.monitor.id), c)
                      for identity, c in zip(identities, checks)), key=lambda pair: pair[0])
    batches: list[list[tuple[str, CheckSpec]]] = []
    current: list[tuple[str, CheckSpec]] = []
    rate = 0.0
    last = None   # the probe identity of the check added last
    for (identity, _, _), spec in ordered:
        period = spec.monitor.delay if window is None else min(spec.monitor.delay, window)
        probe = _cost(spec.monitor.type) / max(period, 1)
        # a check of the probe just counted rides on it: it adds no probe to the batch
        r = 0.0 if identity == last else probe
        if current and (len(current) >= batch_size or rate + r > max_rate):
            batches.append(current)
            current, rate, r = [], 0.0, probe   # a new batch runs the probe again
        current.append((identity, spec))
        rate += r
        last = identity
    if current:
        batches.append(current)
    if folds is None:
        return [[spec for _, spec in batch] for batch in batches]
    return [fold(batch, folds) for batch in batches]


def batch_id(region: str, window_start: datetime, index: int) -> str:
    """``<region>/<window start, UTC ISO seconds>/<shard>``: the same for every retry."""
    return f"{region}/{window_start.strftime('%Y-%m-%dT%H:%M:%S')}Z/{index}"
