"""Reconcile reads each zone once and repairs only what differs (real conductor, real DNS)."""
from __future__ import annotations

import dns.rcode

from kosmos.adapters.emitter import InMemoryEmitter

from .conftest import ZONE


def _gslbs(rig, prefix: str, n: int) -> list[str]:
    """``n`` GSLBs over one pool of one member (192.0.2.1); their names."""
    mon = rig.call("monitor.create", {"values": {"type": "TCP", "delay": 10}})["id"]
    pool = rig.call("pool.create", {"values": {"name": "p", "monitor_ids": [mon]}})["id"]
    rig.call("member.create", {"values": {"pool_id": pool, "address": "192.0.2.1", "port": 80}})
    names = [f"{prefix}{i}.example.com." for i in range(n)]
    for name in names:
        rig.call("gslb.create", {"values": {"fqdn": name, "zone_name": ZONE, "ttl": 30,
                                            "pools": [{"pool_id": pool, "priority": 1}]}})
    return names

def test_a_thousand_names_one_listing_and_only_the_drift_repaired(rig, db_url):
    # A thousand on SQLite; fewer on PostgreSQL, whose round trips make creating them slow.
    N = 150 if db_url.startswith("postgresql") else 1000
    names = _gslbs(rig, "n", N)
    first = rig.engine.handle("kosmos.engine.reconcile", {"scope": "all"})
    assert len(first["published"]) == N and first["zone_listings"] == 1

    store = rig.dns.store
    wrong, missing = names[:7], names[100:111]
    for name in wrong:
        store.put(name, ZONE, ["192.0.2.1", "198.51.100.66"], 30)     # an address too many
    for name in missing:
        store.delete(name)
    store.put(names[120], ZONE, ["192.0.2.1"], 300)                   # the wrong TTL
    store.put("stray.example.com.", ZONE, ["203.0.113.9"], 30)        # not Kosmos's name

    out = rig.engine.handle("kosmos.engine.reconcile", {"scope": "all"})
    assert sorted(out["drift"]) == sorted(
        g["id"] for g in rig.call("gslb.list", {"limit": 1000})["items"]
        if g["fqdn"] in {*wrong, *missing, names[120]})
    assert out["zone_listings"] == 1 and out["errors"] == []
    for name in (*wrong, *missing, names[120]):
        assert rig.resolve(name) == (dns.rcode.NOERROR, ["192.0.2.1"])
    assert store.get(names[120]).ttl == 30
    assert rig.resolve("stray.example.com.") == (dns.rcode.NOERROR, ["203.0.113.9"])
    assert rig.engine.handle("kosmos.engine.reconcile", {"scope": "all"})["drift"] == []


def test_a_sharded_reconcile_repairs_the_same_drift_shard_by_shard(rig, db_url):
    N = 120 if db_url.startswith("postgresql") else 250
    names = _gslbs(rig, "s", N)
    deps = rig.engine.deps
    deps.settings = deps.settings.model_copy(update={"reconcile_shard_size": 50})
    deps.emitter = bus = InMemoryEmitter()
    out = rig.engine.handle("kosmos.engine.reconcile", {"scope": "all"})
    assert out["gslbs"] == N and out["shards"] == -(-N // 50)
    shards = [e.data for e in bus.events]
    assert sorted(i for d in shards for i in d["gslb_ids"]) == sorted(
        g["id"] for g in rig.call("gslb.list", {"limit": 1000})["items"])
    published = [g for d in shards
                 for g in rig.engine.handle("kosmos.engine.reconcile", d)["published"]]
    assert len(published) == N
    broken = names[::7]
    for name in broken:
        rig.dns.store.delete(name)
    drift = [g for d in shards for g in rig.engine.handle("kosmos.engine.reconcile", d)["drift"]]
    assert len(drift) == len(broken)
    assert all(rig.resolve(n) == (dns.rcode.NOERROR, ["192.0.2.1"]) for n in broken)
