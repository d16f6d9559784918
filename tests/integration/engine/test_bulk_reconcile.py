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
    bus.events.clear()      # the next run (its shards share no listing with the last run's)
    rig.engine.handle("kosmos.engine.reconcile", {"scope": "all",
                                                  "scheduled_at": "2026-01-01T00:05:00Z"})
    shards = [e.data for e in bus.events]
    drift = [g for d in shards for g in rig.engine.handle("kosmos.engine.reconcile", d)["drift"]]
    assert len(drift) == len(broken)
    assert all(rig.resolve(n) == (dns.rcode.NOERROR, ["192.0.2.1"]) for n in broken)


def _shards(rig, n: int, size: int, at: str) -> list[dict]:
    """The shard events of a reconcile of ``n`` GSLBs scheduled at ``at``."""
    deps = rig.engine.deps
    deps.settings = deps.settings.model_copy(update={"reconcile_shard_size": size})
    deps.emitter = bus = InMemoryEmitter()
    out = rig.engine.handle("kosmos.engine.reconcile", {"scope": "all", "scheduled_at": at})
    assert out["shards"] == -(-n // size)
    return [e.data for e in bus.events]


def _names_of(rig, shard: dict) -> list[str]:
    by_id = {g["id"]: g["fqdn"] for g in rig.call("gslb.list", {"limit": 1000})["items"]}
    return [by_id[i] for i in shard["gslb_ids"]]


def test_the_shards_of_one_reconcile_share_a_zone_listing(rig, db_url):
    N = 120 if db_url.startswith("postgresql") else 250
    _gslbs(rig, "z", N)
    run = lambda d: rig.engine.handle("kosmos.engine.reconcile", d)  # noqa: E731
    for d in _shards(rig, N, 50, "2026-01-01T00:00:00Z"):
        run(d)                                           # every name published

    shards = _shards(rig, N, 50, "2026-01-01T00:05:00Z")
    outs = [run(d) for d in shards]
    assert [(o["zone_listings"], o["zone_listings_borrowed"]) for o in outs] == (
        [(1, 0)] + [(0, 1)] * (len(shards) - 1))        # one listing for the whole run
    assert all(o["drift"] == [] and o["published"] == [] for o in outs)

    # Another run does not borrow the last one's listing.
    again = _shards(rig, N, 50, "2026-01-01T00:10:00Z")
    assert run(again[1])["zone_listings"] == 1


def test_a_shard_lists_again_where_a_borrowed_listing_differs(rig, db_url):
    N = 120 if db_url.startswith("postgresql") else 250
    _gslbs(rig, "d", N)
    run = lambda d: rig.engine.handle("kosmos.engine.reconcile", d)  # noqa: E731
    for d in _shards(rig, N, 50, "2026-01-01T00:00:00Z"):
        run(d)
    store = rig.dns.store
    shards = _shards(rig, N, 50, "2026-01-01T00:05:00Z")
    late = _names_of(rig, shards[1])[0]
    broken = _names_of(rig, shards[2])[:3]
    store.put(late, ZONE, ["192.0.2.1", "198.51.100.7"], 30)
    for name in broken:
        store.delete(name)
    assert run(shards[0])["drift"] == []                 # lists the zone with those wrong

    # Put right after the listing (as a push between two shards would): not drift.
    store.put(late, ZONE, ["192.0.2.1"], 30)
    second = run(shards[1])
    assert second["drift"] == [] and second["published"] == []
    assert (second["zone_listings"], second["zone_listings_borrowed"]) == (1, 1)

    # Broken for real: confirmed on a listing of the shard's own, and repaired.
    third = run(shards[2])
    assert len(third["drift"]) == len(broken)
    assert (third["zone_listings"], third["zone_listings_borrowed"]) == (1, 1)
    assert all(rig.resolve(n) == (dns.rcode.NOERROR, ["192.0.2.1"]) for n in broken)


def test_a_listing_older_than_its_max_age_is_not_borrowed(rig):
    from kosmos.engine.served import ZoneListings
    _gslbs(rig, "a", 120)
    now = [0.0]
    rig.engine.deps.listings = ZoneListings(60.0, monotonic=lambda: now[0])
    run = lambda d: rig.engine.handle("kosmos.engine.reconcile", d)  # noqa: E731
    for d in _shards(rig, 120, 50, "2026-01-01T00:00:00Z"):
        run(d)
    shards = _shards(rig, 120, 50, "2026-01-01T00:05:00Z")
    outs = [run(shards[0])]          # lists at 0 s
    now[0] = 60.0
    outs.append(run(shards[1]))      # 60 s old: borrowed
    now[0] = 121.0
    outs.append(run(shards[2]))      # 121 s old: listed again
    assert [(o["zone_listings"], o["zone_listings_borrowed"]) for o in outs] == [
        (1, 0), (0, 1), (1, 0)]


def test_a_driver_that_cannot_list_a_zone_is_asked_once_per_name(rig):
    from kosmos.appliances.impl_local import LocalAppliance
    from kosmos.appliances.registry import Appliances
    from kosmos.engine.served import ServedReader, ZoneListings

    class PerName(LocalAppliance):
        asked: list[str] = []

        def zone_answers(self, zone):
            return None

        def get_answer(self, fqdn, zone):
            self.asked.append(fqdn)
            return super().get_answer(fqdn, zone)

    s = rig.engine.deps.settings
    appliances, shared = Appliances(s, {"local": PerName(s)}), ZoneListings(60.0)
    rig.dns.store.put("w.example.com.", ZONE, ["192.0.2.7"], 30)
    for _shard in range(2):                  # the second borrows "no listing" from the first
        reader = ServedReader(appliances, shared, "run-1")
        served = reader("local", "w.example.com.", ZONE)
        assert served.addresses == ["192.0.2.7"]
        assert reader.again("local", "w.example.com.", ZONE, served) is served
    assert PerName.asked == ["w.example.com."] * 2   # one read per name and shard, no more
