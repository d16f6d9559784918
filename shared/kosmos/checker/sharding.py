"""Splitting a region's due checks into batches with deterministic ids.

A batch must finish within its window, so it is capped both in checks
(``batch_size``) and in load (``batch_max_rate``: the sum of cost/delay, where
each check plugin declares its ``cost`` in plain-probe equivalents, e.g. HTTPS
about six for its TLS handshake). Checks are ordered by (probe identity, member,
monitor) before cutting, so the same due list always yields the same batches and
the same ``batch_id``s (``<region>/<window start>/<shard>``), whoever builds them
and however often; checks of one probe (``kosmos.probes.identity``) sit together, so a batch
runs their probe once, and the load counts it once. Within a batch they travel as one
spec: the first in full, the others as the few fields that differ (``CheckSpec.
same_probe``). At 10,000 GSLBs on three endpoints, one endpoint's 8,333 checks of a
region were five batches of 2,000 full specs (1.2 MB each) that the checker read
in 26 ms each.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Callable, Sequence

from kosmos.probes.identity import probe_identity
from kosmos.probes.registry import cost_of
from kosmos.contracts.events import CheckSpec, SharedCheck

_cost = lru_cache(maxsize=None)(cost_of)


def shard(checks: list[CheckSpec], batch_size: int, max_rate: float,
          window: float | None = None, folds: Callable[[CheckSpec], bool] | None = None,
          identities: Sequence[str] | None = None) -> list[list[CheckSpec]]:
    """Cut ``checks`` into batches of at most ``batch_size`` checks and ``max_rate`` probes/s.

    With ``window`` (seconds), ``checks`` are those with a slot in a window that long:
    each probes at least once in it, so a check counts 1/min(delay, window) per second.
    With ``folds``, the checks of one probe in a batch for which it says yes travel as one
    spec (``fold``); they still count one by one against ``batch_size``. ``identities``:
    each check's probe identity, when known.
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


def fold(checks: list[tuple[str, CheckSpec]], folds: Callable[[CheckSpec], bool]) -> list[CheckSpec]:
    """``checks`` (probe identity, spec), ordered by identity, with each run of one probe's
    checks that ``folds`` allows as one spec: its first in full, carrying the others as
    ``same_probe``. The batch gives each of them the outcome of that one probe."""
    out: list[CheckSpec] = []
    head: CheckSpec | None = None
    head_identity = None
    riders: list[SharedCheck] = []

    def close() -> None:
        if head is not None:
            out.append(head.model_copy(update={"same_probe": riders}) if riders else head)
    for identity, spec in checks:
        if head is not None and identity == head_identity and folds(spec):
            m = spec.monitor
            # fields of a validated spec, as they were: constructed, not validated again
            # (a fifth of the tick's time over one endpoint's checks)
            riders.append(SharedCheck.model_construct(
                member_id=spec.member_id, pool_id=spec.pool_id, monitor_id=m.id,
                max_retries=m.max_retries, max_retries_down=m.max_retries_down))
            continue
        close()
        riders = []
        if folds(spec):
            head, head_identity = spec, identity
        else:
            head, head_identity = None, None
            out.append(spec)
    close()
    return out


def batch_id(region: str, window_start: datetime, index: int) -> str:
    """``<region>/<window start, UTC ISO seconds>/<shard>``: the same for every retry."""
    return f"{region}/{window_start.strftime('%Y-%m-%dT%H:%M:%S')}Z/{index}"
