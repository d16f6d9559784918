"""Users' changes reach DNS through ``kosmos.engine.decide``, never waiting for a reconcile.

The conductor announces each committed write that may change answers; the
tests deliver those events to the engine themselves (in order, late, twice,
shuffled) and never send a reconcile.
"""
from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import dns.rcode
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kosmos import bootstrap
from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.adapters.emitter import InMemoryEmitter
from kosmos.appliances.impl_local import LocalAppliance
from kosmos_local.dns import serve
from kosmos.appliances.registry import Appliances
from kosmos.conductor.app import build_handler
from kosmos.config import Settings
from kosmos.contracts.conductor import CallContext, GslbTree
from kosmos.contracts.events import ENGINE_DECIDE
from kosmos.domain.routing import decide as decide_answer
from kosmos.domain.quorum import MonitorRule, decide_member
from kosmos.errors import Conflict

from .conftest import REGIONS, ZONE, Clock, Rig

USER = CallContext(project_id="proj-1", user_id="alice", roles=["member"], request_id="req-1")
FQDN = "www.example.com."
A = ["192.0.2.1", "192.0.2.2"]
B = ["198.51.100.1", "198.51.100.2"]


class ChangeRig(Rig):
    """The engine rig with a conductor that announces changes into ``events``."""

    events: InMemoryEmitter

    def call(self, op: str, args: dict[str, Any]) -> Any:
        return self.client.call(op, args, USER)

    def pending(self) -> list[dict[str, Any]]:
        """The decide events announced and not yet taken, oldest first (taken now)."""
        got = [e.data for e in self.events.of_type(ENGINE_DECIDE)]
        self.events.events.clear()
        return got

    def decide(self, data: dict[str, Any]) -> dict:
        return self.engine.handle(ENGINE_DECIDE, data)

    def deliver_all(self) -> list[dict]:
        return [self.decide(d) for d in self.pending()]


def _rig(url: str, tmp_path) -> ChangeRig:
    state = str(tmp_path / f"dns-{uuid.uuid4().hex}.json")
    events = InMemoryEmitter()
    handler = build_handler(url, settings=Settings(), auto_migrate=True, emitter=events)
    client = ConductorClient(InProcessTransport(handler))
    server = serve("127.0.0.1", 0, 0, state, zones=[ZONE])
    s = Settings(appliance="local", local_dns_url=server.control_url, regions=REGIONS)
    clock = Clock()
    engine = bootstrap.engine_service(s, conductor=client,
                                      appliances=Appliances(s, {"local": LocalAppliance(s)}),
                                      clock=clock)
    rig = ChangeRig(client, client.transport, engine, server, clock, state)
    rig.events = events
    rig.handler = handler  # type: ignore[attr-defined]
    return rig


@pytest.fixture
def crig(db_url, tmp_path):
    r = _rig(db_url, tmp_path)
    yield r
    r.dns.stop()
    r.handler.database.dispose()  # type: ignore[attr-defined]


def _pool(rig: ChangeRig, mon: str, name: str, addrs: list[str]) -> dict[str, Any]:
    pool = rig.call("pool.create", {"values": {"name": name, "monitor_ids": [mon]}})
    pool["members"] = [rig.call("member.create", {"values": {"pool_id": pool["id"], "address": a,
                                                             "port": 80}}) for a in addrs]
    return pool


def _settled(rig: ChangeRig) -> tuple[str, dict, dict]:
    """A monitor and pools A and B whose members are ONLINE in every region, no GSLB yet."""
    mon = rig.call("monitor.create", {"values": {"type": "TCP", "delay": 10, "max_retries": 2,
                                                 "max_retries_down": 2}})["id"]
    pa, pb = _pool(rig, mon, "A", A), _pool(rig, mon, "B", B)
    items = [(m["id"], mon, True) for p in (pa, pb) for m in p["members"]]
    rig.round(items)
    rig.round(items)
    assert rig.pending() == []   # nothing uses the pools yet: nothing to announce
    return mon, pa, pb


def _gslb(rig: ChangeRig, pools: list[dict], **values: Any) -> dict[str, Any]:
    return rig.call("gslb.create", {"values": {
        "fqdn": FQDN, "zone_name": ZONE,
        "pools": [{"pool_id": p["id"], "priority": i + 1} for i, p in enumerate(pools)],
        **values}})


def test_a_new_gslb_over_settled_pools_is_served_by_its_own_event(crig):
    _, pa, _ = _settled(crig)
    g = _gslb(crig, [pa])
    [event] = crig.pending()
    assert event["gslb_ids"] == [g["id"]]
    assert event["cause"] | {"at": None} == {
        "op": "gslb.create", "resource": "gslb", "resource_id": g["id"], "project_id": "proj-1",
        "user_id": "alice", "request_id": "req-1", "at": None}
    assert crig.resolve(FQDN)[0] == dns.rcode.NXDOMAIN   # no reconcile ever runs here
    crig.decide(event)
    assert crig.resolve(FQDN) == (dns.rcode.NOERROR, A)
    stored = crig.call("gslb.get", {"id": g["id"]})
    assert stored["publish_status"] == "SYNCED" and stored["operating_status"] == "ONLINE"
    [entry] = [e for e in crig.call("history.list", {"gslb_id": g["id"]})["items"]
               if e["subject_type"] == "gslb"]
    assert entry["to"] == ",".join(A)
    assert entry["reason"].startswith(f"gslb.create of gslb {g['id']} by user alice (project proj-1)")
    assert entry["evidence"]["change"]["request_id"] == "req-1"


def test_pool_swap_member_changes_and_delete_reach_dns(crig):
    _, pa, pb = _settled(crig)
    g = _gslb(crig, [pa])
    crig.deliver_all()
    crig.call("gslb.update", {"id": g["id"], "values": {"pools": [{"pool_id": pb["id"], "priority": 1}]}})
    crig.deliver_all()
    assert crig.resolve(FQDN) == (dns.rcode.NOERROR, B)
    # a member of the serving pool disabled, then deleted: one event each, both reach DNS
    crig.call("member.update", {"id": pb["members"][0]["id"], "values": {"admin_state_up": False}})
    [event] = crig.pending()
    assert event["gslb_ids"] == [g["id"]] and event["cause"]["op"] == "member.update"
    crig.decide(event)
    assert crig.resolve(FQDN) == (dns.rcode.NOERROR, B[1:])
    crig.call("member.delete", {"id": pb["members"][1]["id"]})
    crig.deliver_all()
    # pool B has no enabled member left and pool A is no longer used: nothing to serve
    assert crig.call("gslb.get", {"id": g["id"]})["answers"] == []
    crig.call("gslb.delete", {"id": g["id"]})
    [event] = crig.pending()
    assert event["gslb_ids"] == [g["id"]]
    crig.decide(event)
    assert crig.resolve(FQDN)[0] == dns.rcode.NXDOMAIN


def test_what_cannot_change_an_answer_announces_nothing(crig):
    mon, pa, _ = _settled(crig)
    crig.call("pool.update", {"id": pa["id"], "values": {"description": "unused"}})
    crig.call("monitor.update", {"id": mon, "values": {"delay": 20}})
    assert crig.pending() == []
    _gslb(crig, [pa])
    crig.pending()
    with pytest.raises(Conflict):
        _gslb(crig, [pa])   # fqdn taken: rolled back, so nothing is announced
    assert crig.pending() == []
    crig.call("monitor.update", {"id": mon, "values": {"delay": 30}})
    assert len(crig.pending()) == 1


def test_members_decided_again_from_their_rows_when_a_gslb_arrives(crig):
    # Results were applied while the rows could not decide the members (here: a writer
    # stored the rows but not the statuses, as a crash between the two would leave).
    mon, pa, _ = _settled(crig)
    ids = [m["id"] for m in pa["members"]]
    sysctx = CallContext.system()
    crig.client.call("health.write", {"states": [], "members": [
        {"member_id": i, "operating_status": "NO_MONITOR", "status_reason": "lost",
         "expected_version": crig.client.call("member.get", {"id": i}, sysctx)["status_version"]}
        for i in ids], "history": []}, sysctx)
    assert {crig.call("member.get", {"id": i})["operating_status"] for i in ids} == {"NO_MONITOR"}
    _gslb(crig, [pa])
    crig.deliver_all()
    assert {crig.call("member.get", {"id": i})["operating_status"] for i in ids} == {"ONLINE"}
    assert crig.resolve(FQDN) == (dns.rcode.NOERROR, A)


def test_duplicate_late_and_reordered_events_change_nothing_more(crig):
    _, pa, pb = _settled(crig)
    g = _gslb(crig, [pa])
    first = crig.pending()
    crig.call("gslb.update", {"id": g["id"], "values": {"pools": [{"pool_id": pb["id"], "priority": 1}]}})
    second = crig.pending()
    for event in [*second, *first, *second, *first]:   # newest first, then again
        crig.decide(event)
    assert crig.resolve(FQDN) == (dns.rcode.NOERROR, B)
    answers = [e for e in crig.call("history.list", {"gslb_id": g["id"]})["items"]
               if e["subject_type"] == "gslb"]
    assert [e["to"] for e in answers] == [",".join(B)]


# ---------------------------------------------------------------- property


def _expected(rig: ChangeRig, gslb_id: str | None, mon: str) -> None:
    """Every member's status is what its rows say; the served answer is the decided one."""
    sysctx = CallContext.system()
    members = rig.client.call("member.list", {"limit": 1000}, sysctx)["items"]
    ctx = rig.engine.deps.gateway.context([m["id"] for m in members])
    for m in members:
        rows = [s for k, s in ctx.states.items() if k[0] == m["id"]]
        want = decide_member(m["operating_status"], rows, [MonitorRule(mon, 10)], rig.clock(),
                             regions=None).status
        assert m["operating_status"] == want, (m["address"], m["operating_status"], want)
    if gslb_id is None:
        assert rig.resolve(FQDN)[0] == dns.rcode.NXDOMAIN
        return
    raw = rig.client.call("gslb.trees", {"gslb_ids": [gslb_id]}, sysctx)["items"]
    tree = GslbTree.model_validate(raw[0])
    want = decide_answer(tree, tree.gslb.answers).answers
    assert tree.gslb.answers == want and tree.gslb.publish_status == "SYNCED"
    rcode, served = rig.resolve(FQDN)
    assert served == want and rcode in ((dns.rcode.NOERROR,) if want else
                                        (dns.rcode.NOERROR, dns.rcode.NXDOMAIN))


OPS = st.lists(st.one_of(
    st.tuples(st.just("results"), st.sampled_from(REGIONS), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("create")), st.tuples(st.just("swap")), st.tuples(st.just("delete")),
    st.tuples(st.just("toggle"), st.integers(0, 3)),
    st.tuples(st.just("deliver"), st.integers(0, 50)),
    st.tuples(st.just("redeliver"), st.integers(0, 50)),
), min_size=5, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, seed=st.integers(0, 2**16))
def test_any_order_of_changes_results_and_events_converges(sqlite_conductor_handler, tmp_path, ops, seed):
    rig = _rig(sqlite_conductor_handler.database.url, tmp_path)
    try:
        _converges(rig, ops, random.Random(seed))
    finally:
        rig.dns.stop()
        rig.handler.database.dispose()  # type: ignore[attr-defined]


def _converges(rig: ChangeRig, ops: list[tuple], rnd: random.Random) -> None:
    sysctx = CallContext.system()
    for g in rig.client.call("gslb.list", {}, sysctx)["items"]:   # examples share the database
        rig.client.call("gslb.delete", {"id": g["id"]}, sysctx)
    for p in rig.client.call("pool.list", {}, sysctx)["items"]:
        rig.client.call("pool.delete", {"id": p["id"]}, sysctx)
    rig.deliver_all()
    mon = rig.call("monitor.create", {"values": {"type": "TCP", "delay": 10, "max_retries": 2,
                                                 "max_retries_down": 2}})["id"]
    pa, pb = _pool(rig, mon, "A", A), _pool(rig, mon, "B", B)
    members = pa["members"] + pb["members"]
    gslb: dict | None = None
    queued: list[dict] = []
    delivered: list[dict] = []
    for op in ops:
        kind = op[0]
        if kind == "results":
            _, region, i, ok = op
            rig.clock.now += timedelta(seconds=1)
            rig.results(region, [(members[i]["id"], mon, ok)], rig.clock.now)
        elif kind == "create" and gslb is None:
            gslb = _gslb(rig, [pa, pb])
        elif kind == "swap" and gslb is not None:
            order = [pb, pa] if rnd.random() < 0.5 else [pa]
            rig.call("gslb.update", {"id": gslb["id"], "values": {"pools": [
                {"pool_id": p["id"], "priority": n + 1} for n, p in enumerate(order)]}})
        elif kind == "delete" and gslb is not None:
            rig.call("gslb.delete", {"id": gslb["id"]})
            gslb = None
        elif kind == "toggle":
            m = rig.call("member.get", {"id": members[op[1]]["id"]})
            rig.call("member.update", {"id": m["id"], "values": {"admin_state_up": not m["admin_state_up"]}})
        elif kind == "deliver" and queued:
            event = queued.pop(op[1] % len(queued))
            rig.decide(event)
            delivered.append(event)
        elif kind == "redeliver" and delivered:
            rig.decide(delivered[op[1] % len(delivered)])
        queued.extend(rig.pending())
    rnd.shuffle(queued)   # at least once, in any order
    for event in queued:
        rig.decide(event)
    _expected(rig, gslb["id"] if gslb else None, mon)
