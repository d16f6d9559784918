"""Checks of one probe as one spec on the wire, and back.

Checks of one probe (``kosmos.probes.identity``) differ only in their member,
pool and monitor ids and their thresholds. A batch carries a run of them as
the first in full, the others as those fields (``CheckSpec.same_probe``): at
10,000 GSLBs on three endpoints one endpoint's 8,333 checks of a region were
five batches of 2,000 full specs that the checker read in 13-35 ms each. The
tick folds its batches, the engine its recheck batches; the batch runs the
spec's probe and gives its outcome to each folded check, or unfolds them
where the check plugin declines sharing (``Check.shares_probes``).
"""
from __future__ import annotations

from typing import Callable

from kosmos.adapters.endpoint_lookup import NEUTRON_TYPES
from kosmos.contracts.events import CheckSpec, SharedCheck


def foldable(spec: CheckSpec) -> bool:
    """Whether ``spec`` may travel folded at all: neutron members travel in full, their
    addresses being looked up, and reported to the engine, member by member."""
    return spec.member_type not in NEUTRON_TYPES


def fold(checks: list[tuple[str, CheckSpec]], folds: Callable[[CheckSpec], bool]) -> list[CheckSpec]:
    """``checks`` (probe identity, spec), ordered by identity, with each run of one probe's
    checks that ``folds`` allows as one spec: its first in full, carrying the others as
    ``same_probe``."""
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
            # fields of a validated spec, as they were: not validated again (a fifth of
            # the tick's time over one endpoint's checks), nor looked up by alias
            riders.append(SharedCheck.trusted(spec.member_id, spec.pool_id, m.id,
                                              m.max_retries, m.max_retries_down))
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


def unfold(spec: CheckSpec) -> list[CheckSpec]:
    """``spec`` and each check folded into it (``fold``), every one in full."""
    out = [spec.model_copy(update={"same_probe": []})]
    for check in spec.same_probe:
        monitor = spec.monitor.model_copy(update={
            "id": check.monitor_id, "max_retries": check.max_retries,
            "max_retries_down": check.max_retries_down})
        out.append(spec.model_copy(update={"member_id": check.member_id, "pool_id": check.pool_id,
                                           "monitor": monitor, "same_probe": []}))
    return out
