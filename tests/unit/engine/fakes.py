"""An in-memory conductor for the engine's unit tests (subclasses the port, no patching)."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from kosmos.appliances.impl_noop import NoopAppliance
from kosmos.appliances.registry import Appliances
from kosmos.config import Settings
from kosmos.contracts.conductor import GslbTree, GslbTreePool, Tombstone
from kosmos.contracts.events import CheckResult, CheckResults
from kosmos.contracts.health import HealthState, HealthWrite, MemberStatusChange
from kosmos.contracts.history import HistoryEntryCreate
from kosmos.contracts.resources import Gslb, GslbPoolLink, Member, Monitor, Pool
from kosmos.engine.deps import EngineDeps
from kosmos.domain.health import is_material_change
from kosmos.domain.answers import is_enabled, member_addresses
from kosmos.domain.breaker import DownMember
from kosmos.engine.gateway import BreakerView, EngineContext, EngineGateway
from kosmos.engine.service import EngineService
from kosmos.errors import ApplianceError, StaleVersion, Unavailable

T0 = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
BASE = {"project_id": "proj", "created_at": T0, "updated_at": T0}


def _value(v: Any) -> str:
    return v.value if hasattr(v, "value") else str(v)


def _update(record, values: dict[str, Any]):
    """A stored record with ``values`` applied and validated, as the conductor returns it."""
    return type(record).model_validate({**record.model_dump(), **values})


class FakeGateway(EngineGateway):
    metrics: Any = None   # a test may give it a MetricsBuffer

    def __init__(self) -> None:
        self.routes: dict[str, dict | None] = {}   # the route stored with each answer
        self.clock = None                           # the engine's, for status_changed_at
        self.members: dict[str, Member] = {}
        self.pools: dict[str, Pool] = {}
        self.monitors: dict[str, Monitor] = {}
        self.gslbs: dict[str, Gslb] = {}
        self.states: dict = {}
        self.history: list[HistoryEntryCreate] = []
        self.tombs: dict[str, Tombstone] = {}
        self.down = False
        self.fail_next: dict[str, int] = {}     # op → how many calls fail with Unavailable
        self.conflict_next: dict[str, int] = {}  # op → how many calls fail with StaleVersion
        self.after_write: list = []             # callbacks run once after a health.write: other writers
        self.before_write: list = []            # ... and once as one begins (a writer in between)
        self.calls: list[str] = []
        self.health_writes = 0
        self.heartbeat_writes = 0
        self.lag: dict[str, tuple[float, int, datetime]] = {}   # region → last record

    def _enter(self, op: str) -> None:
        self.calls.append(op)
        if self.down:
            raise Unavailable("conductor unreachable: ConnectionError")
        if self.fail_next.get(op):
            self.fail_next[op] -= 1
            raise Unavailable(f"conductor failed during {op}")
        if self.conflict_next.get(op):
            self.conflict_next[op] -= 1
            raise StaleVersion(f"another writer changed the row during {op}")

    # --- engine ops ---------------------------------------------------------
    def context(self, member_ids, states_only=False):
        self._enter("engine.context")
        if states_only:   # told apart in the record of calls
            self.calls[-1] = "engine.context states_only"
        members = {m: self.members[m] for m in member_ids if m in self.members}
        if states_only:
            return EngineContext(members, {}, {}, {k: s for k, s in self.states.items()
                                                   if k[0] in members}, {})
        pools = {p: self.pools[p] for p in {m.pool_id for m in members.values()}}
        mons = {i: self.monitors[i] for p in pools.values() for i in p.monitor_ids}
        states = {k: s for k, s in self.states.items() if k[0] in members}
        gslbs = {g.id: g for g in self.gslbs.values() if any(l.pool_id in pools for l in g.pools)}
        return EngineContext(members, pools, mons, states, gslbs)

    def heartbeat(self, region: str, states: list[tuple[HealthState, int]]) -> int:
        """As the conductor's health.heartbeat: all rows at their version, or StaleVersion;
        the fake also refuses a heartbeat that would change a material field."""
        self._enter("health.heartbeat")
        while self.before_write:
            self.before_write.pop(0)(self)
        for new, version in states:
            k = (new.member_id, new.monitor_id, region)
            cur = self.states.get(k)
            if cur is None or cur.version != version:
                raise StaleVersion(f"health state {k} moved")
            assert not is_material_change(cur, new), f"heartbeat of {k} changes a decision"
        for new, _version in states:
            k = (new.member_id, new.monitor_id, region)
            cur = self.states[k]
            self.states[k] = cur.model_copy(update={
                "last_checked_at": new.last_checked_at, "last_reason": new.last_reason,
                "last_latency_ms": new.last_latency_ms, "version": cur.version + 1})
        self.heartbeat_writes += 1
        return len(states)

    def write_health(self, states: list[HealthWrite], members: list[MemberStatusChange], history):
        self._enter("health.write")
        while self.before_write:
            self.before_write.pop(0)(self)
        for w in states:
            k = (w.state.member_id, w.state.monitor_id, w.state.region)
            cur = self.states.get(k)
            if (cur.version if cur else None) != w.expected_version:
                raise StaleVersion(f"health state {k} moved")
        in_effect = {}   # as the conductor: the same move made by another writer
        for m in members:
            cur = self.members[m.member_id]
            if m.expected_version is not None and cur.status_version != m.expected_version:
                if _value(cur.operating_status) != _value(m.operating_status):
                    raise StaleVersion(f"member {m.member_id} moved")
                in_effect[m.member_id] = _value(m.operating_status)
        for w in states:
            k = (w.state.member_id, w.state.monitor_id, w.state.region)
            self.states[k] = w.state.model_copy(update={"version": (w.expected_version or 0) + 1})
        members = [m for m in members if m.member_id not in in_effect]
        history = [e for e in history if not (_value(e.subject_type) == "member"
                                              and in_effect.get(e.subject_id) == e.to_state)]
        for m in members:
            cur = self.members[m.member_id]
            moved = _value(cur.operating_status) != _value(m.operating_status)
            self.members[m.member_id] = _update(cur, {
                "operating_status": m.operating_status, "status_reason": m.status_reason,
                "status_version": cur.status_version + 1,
                "status_changed_at": (self.clock() if self.clock else T0) if moved
                else cur.status_changed_at})
        self._append(history)
        self.health_writes += 1
        while self.after_write:
            self.after_write.pop(0)(self)
        return len(states) + len(members)

    def _append(self, entries) -> int:
        keys = {e.dedupe_key for e in self.history}
        new = [e for e in entries if e.dedupe_key is None or e.dedupe_key not in keys]
        self.history.extend(new)
        return len(new)

    def trees(self, gslb_ids=None):
        self._enter("gslb.trees")
        out = []
        for g in self.gslbs.values():
            if gslb_ids is not None and g.id not in gslb_ids:
                continue
            pools = [GslbTreePool(pool=self.pools[l.pool_id], priority=l.priority,
                                  members=[m for m in self.members.values() if m.pool_id == l.pool_id])
                     for l in sorted(g.pools, key=lambda l: l.priority)]
            out.append(GslbTree(gslb=g, pools=pools, served_route=self.routes.get(g.id)))
        return out

    def gslb_names(self, limit=1000):
        self._enter("gslb.list")
        return {g.id: g.fqdn for g in self.gslbs.values()}

    def set_answers(self, records):
        self._enter("gslb.set_answers")
        missing = []
        for r in records:
            g = self.gslbs.get(r.gslb_id)
            if g is None:
                missing.append(r.gslb_id)
                continue
            upd = {"answers": list(r.answers), "answer_reason": r.answer_reason,
                   "publish_status": r.publish_status, "publish_reason": r.publish_reason,
                   "published_at": r.published_at}
            if list(r.answers) != g.answers:
                upd["answers_changed_at"] = r.published_at
            self.gslbs[r.gslb_id] = _update(g, {**upd, "version": g.version + 1})
            self.routes[r.gslb_id] = r.route
            self._append(list(r.history))
        return missing

    def breaker_view(self, monitors_window=600.0, suspect_regions=0, monitor_ids=()):
        self._enter("breaker.view")
        endpoints, down = set(), {}
        for m in self.members.values():
            pool = self.pools.get(m.pool_id)
            if pool is None or not pool.monitor_ids or not is_enabled(m):
                continue
            addresses = tuple(member_addresses(m))
            endpoints.update((a, m.port) for a in addresses)
            if _value(m.operating_status) == "OFFLINE":
                down[m.id] = DownMember(m.id, addresses, m.port, m.region, tuple(pool.monitor_ids))
        held = sorted(g.id for g in self.gslbs.values() if _value(g.publish_status) == "HELD")
        return BreakerView(len(endpoints), down, {}, held)

    def breaker_summary(self, suspect_regions=0):
        view = self.breaker_view()
        endpoints = {(a, m.port) for m in view.down.values() for a in m.addresses or (m.member_id,)}
        return len(view.down), len(view.held), 0, len(endpoints)

    def tombstones(self, limit=500):
        self._enter("gslb.tombstones")
        return list(self.tombs.values())[:limit]

    def webhooks_due(self, limit, lease_s):
        """No webhooks here (the conductor's outbox is tested on the real one)."""
        if self.down:
            raise Unavailable("conductor unreachable: ConnectionError")
        return [], None

    def webhooks_report(self, outcomes):
        return None

    def unconfirmed(self, limit=50):
        self._enter("gslb.unconfirmed")
        return sorted((g.id for g in self.gslbs.values() if _value(g.publish_status) == "PENDING"
                       and g.published_at is not None), key=lambda i: self.gslbs[i].published_at)[:limit]

    def ack_tombstones(self, ids):
        self._enter("gslb.tombstones.ack")
        return sum(1 for i in ids if self.tombs.pop(i, None))

    def set_endpoints(self, updates):
        self._enter("endpoints.set")
        changed = []
        for u in updates:
            m = self.members.get(u.member_id)
            if m and m.endpoints != u.endpoints:
                self.members[m.id] = _update(m, {"endpoints": u.endpoints, "version": m.version + 1})
                changed.append(m.id)
        return changed

    def record_lag(self, region, lag_s, stale_results, observed_at):
        self._enter("engine.lag")
        self.lag[region] = (lag_s, stale_results, observed_at)
        return True

    def append_history(self, entries):
        self._enter("history.append")
        return self._append(entries)

    # --- building a world -----------------------------------------------------
    def add_monitor(self, mid="mon", delay=10, rise=2, fall=2) -> Monitor:
        self.monitors[mid] = Monitor(id=mid, type="TCP", delay=delay, timeout=1, max_retries=rise,
                                     max_retries_down=fall, **BASE)
        return self.monitors[mid]

    def add_pool(self, pid, monitor_ids=("mon",), regions=None) -> Pool:
        self.pools[pid] = Pool(id=pid, monitor_ids=list(monitor_ids), regions=regions, **BASE)
        return self.pools[pid]

    def add_member(self, mid, pool_id, address, status="NO_MONITOR", **kw) -> Member:
        self.members[mid] = Member(id=mid, pool_id=pool_id, type="IP", address=address, port=80,
                                   operating_status=status, **{**BASE, **kw})
        return self.members[mid]

    def add_gslb(self, gid, fqdn, pools: list[tuple[str, int]], **kw) -> Gslb:
        self.gslbs[gid] = Gslb(id=gid, fqdn=fqdn, zone_name="example.com.",
                               pools=[GslbPoolLink(pool_id=p, priority=pr) for p, pr in pools],
                               **{**BASE, **kw})
        return self.gslbs[gid]

    def entries(self, subject_type: str) -> list[HistoryEntryCreate]:
        return [e for e in self.history if e.subject_type.value == subject_type]


class FlakyAppliance(NoopAppliance):
    """The noop driver with a switch that makes it unreachable."""

    name = "flaky"
    down = False

    def _check(self) -> None:
        if self.down:
            raise ApplianceError("appliance unreachable: ConnectionError")

    def set_answer(self, fqdn, zone, addresses, ttl, route=None):
        self._check()
        super().set_answer(fqdn, zone, addresses, ttl, route)

    def get_answer(self, fqdn, zone):
        self._check()
        return super().get_answer(fqdn, zone)

    def remove(self, fqdn, zone):
        self._check()
        super().remove(fqdn, zone)


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_engine(gw: FakeGateway, clock: Clock, **settings: Any) -> tuple[EngineService, FlakyAppliance]:
    s = Settings(appliance="flaky", **settings)
    app = FlakyAppliance(s)
    gw.clock = clock
    return EngineService(EngineDeps(gw, Appliances(s, {"flaky": app}), s, clock)), app


_seq = itertools.count()


def batch(region: str, items: list[tuple[str, bool, datetime]], monitor: str = "mon",
          batch_id: str | None = None) -> dict:
    """A kosmos.check.results data dict: items are (member id, ok, checked_at)."""
    return CheckResults(region=region, checker_id=f"chk-{region}", batch_id=batch_id or str(uuid.uuid4()),
                        results=[CheckResult(member_id=m, monitor_id=monitor, ok=ok,
                                             reason="ok" if ok else "connection refused", checked_at=t)
                                 for m, ok, t in items]).model_dump(mode="json")


def _value(v):
    return v.value if hasattr(v, "value") else str(v)
