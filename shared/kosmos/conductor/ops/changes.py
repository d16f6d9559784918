"""Which GSLBs a user's write can change: noted for the engine (``kosmos.engine.decide``).

An operation that changes what an answer depends on (a GSLB, the pools it
uses, their members or monitors) calls ``note_change`` inside its
transaction; the dispatcher hands the note to the change notifier once the
transaction has committed, so the engine never decides from a write that was
rolled back. Writes that cannot change an answer (a pool no GSLB uses, a
monitor no pool uses) note nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import select

from kosmos.conductor.db.models import GslbPoolRow, PoolMonitorRow
from kosmos.conductor.ops.common import OpContext


@dataclass
class ChangeNote:
    """One committed write and the GSLBs whose answers it may change."""

    resource: str
    resource_id: str
    gslb_ids: set[str] = field(default_factory=set)


def note_change(ctx: OpContext, resource: str, resource_id: str, gslb_ids: Iterable[str]) -> None:
    """Record that this operation may change the answers of ``gslb_ids``."""
    ids = set(gslb_ids)
    if not ids:
        return
    if ctx.change is None:
        ctx.change = ChangeNote(resource, resource_id)
    ctx.change.gslb_ids |= ids


def gslbs_using_pools(ctx: OpContext, pool_ids: Iterable[str]) -> set[str]:
    ids = sorted(set(pool_ids))
    if not ids:
        return set()
    return set(ctx.session.scalars(select(GslbPoolRow.gslb_id).where(GslbPoolRow.pool_id.in_(ids))))


def gslbs_using_monitor(ctx: OpContext, monitor_id: str) -> set[str]:
    pools = ctx.session.scalars(select(PoolMonitorRow.pool_id).where(
        PoolMonitorRow.monitor_id == monitor_id))
    return gslbs_using_pools(ctx, pools)
