"""The engine's port to the conductor: typed wrappers over the engine operations.

Every call goes through ``ConductorClient`` with ``CallContext.system()``; a
conductor that is down raises ``Unavailable`` out of the handler so the
platform redelivers the event. Tests subclass ``EngineGateway`` with an
in-memory fake.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from pydantic import BaseModel

from kosmos.contracts.operations import HealthWriteArgs, Operation, BREAKER_VIEW, METRICS_ADD, ENDPOINTS_SET, ENGINE_CONTEXT, ENGINE_LAG, GSLB_SET_ANSWERS, GSLB_TOMBSTONES, GSLB_TOMBSTONES_ACK, GSLB_TREES, GSLB_UNCONFIRMED, HEALTH_HEARTBEAT, HEALTH_WRITE, HISTORY_APPEND, WEBHOOK_DUE, WEBHOOK_REPORT, crud
from kosmos.adapters.conductor_client import ConductorClient
from kosmos.contracts.common import dump
from kosmos.contracts.conductor import CallContext, GslbTree, Tombstone
from kosmos.contracts.events import EndpointUpdate
from kosmos.contracts.health import HealthState, HealthWrite, MemberStatusChange
from kosmos.contracts.history import HistoryEntryCreate
from kosmos.contracts.resources import Gslb, Member, Monitor, Pool
from kosmos.contracts.results import DownEndpoint, DueDelivery
from kosmos.domain.breaker import DownMember
from kosmos.logs import get_logger

log = get_logger(__name__)

StateKey = tuple[str, str, str]   # (member_id, monitor_id, region)


@dataclass
class EngineContext:
    """What the engine needs to decide for a set of members (``engine.context``)."""

    members: dict[str, Member] = field(default_factory=dict)
    pools: dict[str, Pool] = field(default_factory=dict)
    monitors: dict[str, Monitor] = field(default_factory=dict)
    states: dict[StateKey, HealthState] = field(default_factory=dict)
    gslbs: dict[str, Gslb] = field(default_factory=dict)
    _by_pool: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)

    def gslbs_of_pool(self, pool_id: str) -> list[str]:
        """Ids of the GSLBs that use pool ``pool_id``, sorted (indexed on first use: a
        batch of thousands of members would otherwise scan every GSLB for each)."""
        if self._by_pool is None:
            index: dict[str, set[str]] = {}
            for g in self.gslbs.values():
                for link in g.pools:
                    index.setdefault(link.pool_id, set()).add(g.id)
            self._by_pool = {pool: sorted(ids) for pool, ids in index.items()}
        return self._by_pool.get(pool_id, [])

    def states_by_member(self) -> dict[str, dict[StateKey, HealthState]]:
        """Every state row grouped by member id."""
        out: dict[str, dict[StateKey, HealthState]] = {}
        for k, s in self.states.items():
            out.setdefault(k[0], {})[k] = s
        return out


@dataclass
class BreakerView:
    """What ``breaker.view`` returns: the deployment's endpoints, those down, held GSLBs."""

    total_endpoints: int = 0
    down: dict[str, DownMember] = field(default_factory=dict)   # by member id
    monitors_changed: dict[str, str] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)
    suspect: dict[str, DownMember] = field(default_factory=dict)   # by member id


@dataclass(frozen=True)
class AnswerRecord:
    """What a GSLB now serves (or why not), as ``gslb.set_answers`` stores it."""

    gslb_id: str
    answers: list[str]
    answer_reason: str | None
    publish_status: str
    publish_reason: str | None = None
    published_at: datetime | None = None
    history: tuple[HistoryEntryCreate, ...] = ()
    route: dict[str, Any] | None = None     # WEIGHTED, GEO: the route served with them
    decided_from: str | None = None         # the publish_status the decision read

    def args(self) -> dict[str, Any]:
        return {"id": self.gslb_id, "answers": list(self.answers), "route": self.route,
                "answer_reason": self.answer_reason, "publish_status": self.publish_status,
                "publish_reason": self.publish_reason,
                "published_at": self.published_at.isoformat() if self.published_at else None,
                "history": history_args(self.history), "decided_from": self.decided_from}


def history_args(entries: Iterable[HistoryEntryCreate]) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json", by_alias=True) for e in entries]


class EngineGateway:
    """Conductor operations the engine uses (see ``kosmos.contracts.conductor``)."""

    page_size = 500
    answers_batch = 200

    def __init__(self, client: ConductorClient):
        self.client = client

    def _call(self, operation: Operation, args: dict[str, Any] | BaseModel) -> Any:
        return self.client.invoke(operation, args, CallContext.system())

    @property
    def metrics(self) -> Any:
        """The instance's metrics buffer (None: not measured)."""
        return getattr(getattr(self, "client", None), "metrics", None)

    def count_reread(self, event: str) -> None:
        """Note a compare-and-set miss after which the engine reads the state again
        (``event``: what it was applying), so contention between instances shows."""
        if self.metrics is not None:
            self.metrics.add("kosmos_engine_rereads_total", 1, event=event)

    def flush_metrics(self, force: bool = False) -> int:
        """Add the instance's observations to the deployment's series when due."""
        from kosmos.contracts.metrics import flush

        if self.metrics is None:
            return 0
        return flush(self.metrics, lambda _name, args: self._call(METRICS_ADD, args), force)

    def context(self, member_ids: Iterable[str], states_only: bool = False) -> EngineContext:
        """What a decision about these members needs; ``states_only``: the members and
        their health rows alone (pools, monitors and GSLBs left empty)."""
        args: dict[str, Any] = {"member_ids": sorted(set(member_ids))}
        if states_only:
            args["states_only"] = True
        rows = self._call(ENGINE_CONTEXT, args)
        return EngineContext(
            members={m.id: m for m in rows.members},
            pools={p.id: p for p in rows.pools},
            monitors={m.id: m for m in rows.monitors},
            states={(s.member_id, s.monitor_id, s.region): s for s in rows.states},
            gslbs={g.id: g for g in rows.gslbs})

    def write_health(self, states: list[HealthWrite], members: list[MemberStatusChange],
                     history: list[HistoryEntryCreate]) -> int:
        """One transaction; raises StaleVersion when a row moved since it was read.

        The records go as they are, not as dicts to be checked again: each was checked
        when it was made, their dump refuses a value of the wrong type, and the conductor
        checks all of it. Dumping 2,000 rows to dicts and checking them again took four
        times the instructions (199 M against 52 M), in the largest writes there are."""
        return self._call(HEALTH_WRITE, HealthWriteArgs(
            states=states, members=members, history=history)).written

    def heartbeat(self, region: str, states: list[tuple[HealthState, int]]) -> int:
        """Rewrite the freshness of ``(new state, version known)`` rows of ``region`` whose
        material fields are as stored; raises StaleVersion when one is not at its version."""
        return self._call(HEALTH_HEARTBEAT, {
            "region": region, "member_ids": [s.member_id for s, _ in states],
            "monitor_ids": [s.monitor_id for s, _ in states],
            "versions": [v for _, v in states],
            "checked_at": [s.last_checked_at.isoformat() if s.last_checked_at else None
                           for s, _ in states],
            "reasons": [s.last_reason for s, _ in states],
            "latency_ms": [s.last_latency_ms for s, _ in states]}).written

    def trees(self, gslb_ids: list[str] | None = None) -> list[GslbTree]:
        """The GSLBs (all when ``gslb_ids`` is None) with pools and members, every page."""
        if gslb_ids is not None and len(gslb_ids) > self.page_size:
            ids = list(gslb_ids)
            return [t for i in range(0, len(ids), self.page_size)
                    for t in self.trees(ids[i:i + self.page_size])]
        out: list[GslbTree] = []
        marker = None
        while True:
            args: dict[str, Any] = {"limit": self.page_size}
            if gslb_ids is not None:
                args["gslb_ids"] = list(gslb_ids)
            if marker:
                args["marker"] = marker
            page = self._call(GSLB_TREES, args)
            out.extend(page.items)
            marker = page.next_marker
            if not marker:
                return out

    def set_answers(self, records: list[AnswerRecord]) -> list[str]:
        """Store many GSLBs' answers, ``answers_batch`` per transaction; the ids of
        GSLBs deleted meanwhile."""
        missing: list[str] = []
        for i in range(0, len(records), self.answers_batch):
            stored = self._call(GSLB_SET_ANSWERS,
                                {"items": [r.args() for r in records[i:i + self.answers_batch]]})
            missing.extend(stored.missing)
            if stored.superseded:
                log.info("answers decided before another instance's hold left held",
                         extra={"status": ",".join(stored.superseded)})
        return missing

    def webhooks_due(self, limit: int, lease_s: float) -> tuple[list[DueDelivery], str | None]:
        """Claim due webhook deliveries: (them, when the next one left waiting is due)."""
        due = self._call(WEBHOOK_DUE, {"limit": limit, "lease_s": lease_s})
        return due.items, due.next_due_at

    def webhooks_report(self, outcomes: list[dict[str, Any]]) -> str | None:
        """Record attempts' outcomes; when the next waiting delivery is due."""
        return self._call(WEBHOOK_REPORT, {"outcomes": outcomes}).next_due_at

    def breaker_view(self, monitors_window: float = 600.0, suspect_regions: int = 0,
                     monitor_ids: Iterable[str] = ()) -> BreakerView:
        """The view; monitors changed lately are named for the members down or suspect and
        for ``monitor_ids`` (those of the cycle's own moves), the only ones a verdict names."""
        rows = self._call(BREAKER_VIEW, {"monitors_window": monitors_window,
                                         "suspect_regions": suspect_regions,
                                         "monitor_ids": sorted(set(monitor_ids))})

        def members(endpoints: list[DownEndpoint]) -> dict[str, DownMember]:
            return {d.member_id: DownMember(d.member_id, tuple(d.addresses), d.port, d.region,
                                            tuple(d.monitor_ids))
                    for d in endpoints}
        return BreakerView(rows.total_endpoints, members(rows.down), rows.monitors_changed,
                           rows.held, members(rows.suspect))

    def breaker_summary(self, suspect_regions: int = 0) -> tuple[int, int, int, int]:
        """(enabled monitored members OFFLINE, GSLBs HELD, suspects, at most how many
        distinct endpoints those OFFLINE or suspect have): one cheap read. A conductor that
        does not count endpoints gives the member count, which bounds them as well."""
        rows = self._call(BREAKER_VIEW, {"summary": True, "suspect_regions": suspect_regions})
        bound = rows.endpoints_bound
        if bound is None:
            bound = rows.offline_members + rows.suspect_members
        return rows.offline_members, rows.held_count, rows.suspect_members, bound

    def unconfirmed(self, limit: int = 50) -> list[str]:
        """GSLBs pushed to an appliance that has yet to confirm serving them."""
        return self._call(GSLB_UNCONFIRMED, {"limit": limit}).ids

    def tombstones(self, limit: int = 500) -> list[Tombstone]:
        return self._call(GSLB_TOMBSTONES, {"limit": limit})

    def ack_tombstones(self, ids: list[str]) -> int:
        return self._call(GSLB_TOMBSTONES_ACK, {"ids": ids}).acked

    def set_endpoints(self, updates: list[EndpointUpdate]) -> list[str]:
        return self._call(ENDPOINTS_SET, {"updates": [dump(u) for u in updates]}).changed

    def gslb_names(self, limit: int = 1000) -> dict[str, str]:
        """Every GSLB's id → fqdn, read a page at a time (no trees)."""
        out: dict[str, str] = {}
        marker = None
        while True:
            args: dict[str, Any] = {"limit": limit, **({"marker": marker} if marker else {})}
            page = self._call(crud("gslb", "list"), args)
            for g in page.items:
                out[g.id] = g.fqdn
            marker = page.next_marker
            if not marker:
                return out

    def record_lag(self, region: str, lag_s: float, stale_results: int,
                   observed_at: datetime) -> bool:
        return self._call(ENGINE_LAG, {"region": region, "lag_s": round(lag_s, 3),
                                       "stale_results": stale_results,
                                       "observed_at": observed_at.isoformat()}).recorded

    def append_history(self, entries: list[HistoryEntryCreate]) -> int:
        if not entries:
            return 0
        return self._call(HISTORY_APPEND, {"entries": history_args(entries)}).appended
