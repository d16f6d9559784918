"""Checks of one probe (same project, address, port and monitor settings) share its runs."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pydantic_core

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.adapters.emitter import InMemoryEmitter, encode
from kosmos.checker.batch import run_batch
from kosmos.probes.identity import probe_identity
from kosmos.checker.schedule import grid_offset
from kosmos.checker.service import CheckerService
from kosmos.checker.sharding import shard
from kosmos.config import Settings
from kosmos.contracts.common import utcnow
from kosmos.contracts.events import (CHECK_BATCH, CHECK_RESULTS, CheckBatch, CheckResult, CheckSpec,
                                     CheckTick)
from kosmos.probes.base import Check, Outcome, Target

ADDRESS = "192.0.2.7"


def spec(member: str, make_check, **changes) -> CheckSpec:
    """``member``'s check of the shared endpoint, its own monitor (id, thresholds)."""
    data = make_check(member, monitor=f"mon-{member}", delay=1, address=ADDRESS)
    data["monitor"]["max_retries_down"] = 1 + len(member) % 3
    project = changes.pop("project_id", None)
    if project:
        data["project_id"] = project
    data["monitor"].update(changes)
    return CheckSpec.model_validate(data)


def batch(checks: list[CheckSpec], length: float = 2.5) -> CheckBatch:
    start = datetime.now(timezone.utc)
    return CheckBatch(region="R", batch_id="R/w/0", window_start=start,
                      deadline=start + timedelta(seconds=length), checks=checks)


class Probes:
    """A probe that counts its runs per target address and path, failing on request."""

    def __init__(self, ok: bool | None = True):
        self.runs: list[tuple[str, str, datetime]] = []
        self.results: list[CheckResult] = []
        self.ok = ok

    async def probe(self, target: Target, checked_at: datetime) -> CheckResult | None:
        self.runs.append((target.spec.project_id, target.spec.monitor.url_path, checked_at))
        await asyncio.sleep(0.01)
        if self.ok is None:
            return None
        return CheckResult(member_id=target.spec.member_id, monitor_id=target.spec.monitor.id,
                           address=target.address, ok=self.ok, latency_ms=2.5,
                           reason="HTTP 200" if self.ok else "HTTP 503 not in [200]",
                           checked_at=checked_at)

    async def sink(self, results, endpoints, urgent=False):
        self.results.extend(results)


def run(b: CheckBatch, probes: Probes, **kw):
    return asyncio.run(run_batch(b, probes.probe, probes.sink, max_concurrency=100,
                                 flush_interval=0.2, **kw))


def test_the_identity_ignores_ids_and_thresholds_but_nothing_the_probe_sends(make_check):
    one = spec("a", make_check)
    assert probe_identity(one) == probe_identity(spec("bb", make_check))
    for change in ({"url_path": "/other"}, {"timeout": 0.3}, {"headers": {"Host": "x"}},
                   {"expected_codes": [200, 204]}, {"type": "TCP"}, {"project_id": "other"},
                   {"delay": 2}):
        assert probe_identity(spec("a", make_check, **change)) != probe_identity(one), change
    assert grid_offset(one, 0.0) == grid_offset(spec("bb", make_check), 0.0)


def test_checks_of_one_probe_share_its_runs_and_each_gets_its_own_result(make_check):
    checks = [spec(f"m{i}", make_check) for i in range(30)]
    probes = Probes()
    stats = run(batch(checks), probes, shares=lambda s: True)
    instants = {when for _, _, when in probes.runs}
    # one probe per instant of the shared grid, not one per check
    assert 2 <= len(instants) <= 3 and len(probes.runs) == len(instants) == stats.probes
    assert len(probes.results) == 30 * len(instants) == stats.probes + stats.shared
    got = {(r.member_id, r.monitor_id, r.checked_at) for r in probes.results}
    assert got == {(c.member_id, c.monitor.id, when) for c in checks for when in instants}
    assert all(r.ok and r.reason == "HTTP 200" and r.latency_ms == 2.5 and r.address == ADDRESS
               for r in probes.results)


def test_without_sharing_every_check_probes_for_itself(make_check):
    checks = [spec(f"m{i}", make_check) for i in range(30)]
    probes = Probes()
    stats = run(batch(checks), probes)
    instants = {when for _, _, when in probes.runs}
    assert len(probes.runs) == 30 * len(instants) and stats.shared == 0


def test_other_projects_and_other_settings_are_other_probes(make_check):
    checks = ([spec(f"m{i}", make_check) for i in range(5)]
              + [spec(f"p{i}", make_check, project_id="other") for i in range(5)]
              + [spec(f"u{i}", make_check, url_path="/ready") for i in range(5)])
    probes = Probes()
    run(batch(checks), probes, shares=lambda s: True)
    runs = {(project, path) for project, path, _ in probes.runs}
    assert runs == {("proj", "/"), ("other", "/"), ("proj", "/ready")}
    per_probe = {}
    for project, path, when in probes.runs:
        per_probe.setdefault((project, path), []).append(when)
    # each probe once per instant of its own grid
    assert all(len(w) == len(set(w)) for w in per_probe.values())
    assert len(probes.results) == 5 * len(probes.runs)


def test_a_failure_reaches_every_check_as_news_and_no_verdict_reaches_none(make_check):
    checks = [spec(f"m{i}", make_check) for i in range(10)]
    probes, streaks = Probes(ok=False), {}
    run(batch(checks, length=1.0), probes, shares=lambda s: True, streaks=streaks)
    assert len(probes.runs) == 1 and len(probes.results) == 10
    assert all(not r.ok and r.reason == "HTTP 503 not in [200]" for r in probes.results)
    assert streaks == {(c.member_id, c.monitor.id): 1 for c in checks}

    silent = Probes(ok=None)
    stats = run(batch(checks, length=1.0), silent, shares=lambda s: True)
    assert len(silent.runs) == 1 and silent.results == [] and stats.inconclusive == 1


def test_shards_keep_a_probes_checks_together_and_count_it_once(make_check):
    shared = [spec(f"m{i:02}", make_check) for i in range(40)]
    own = [CheckSpec.model_validate(make_check(f"o{i}", delay=1)) for i in range(6)]
    batches = shard(own + shared, batch_size=100, max_rate=5.0, window=1.0)
    # 6 probes of their own and one shared: two batches at five probes a second
    assert len(batches) == 2 and sum(len(b) for b in batches) == 46
    holding = [i for i, b in enumerate(batches) if any(c.member_id.startswith("m") for c in b)]
    assert len(holding) == 1
    # a cut by count gives each batch the shared probe once more
    assert [len(b) for b in shard(shared, batch_size=15, max_rate=1.0, window=1.0)] == [15, 15, 10]


class Counting(Check):
    """An HTTP check that answers at once and counts its probes."""

    name = "HTTP"
    probes_address = False

    def __init__(self, shares: bool):
        super().__init__()
        self.shares_probes = shares
        self.probes = 0

    async def probe(self, target: Target) -> Outcome:
        self.probes += 1
        return Outcome(True, "HTTP 200", 0.1)


def test_a_check_plugin_that_declines_sharing_probes_every_check(make_check):
    checks = [spec(f"m{i}", make_check) for i in range(20)]
    for shares, most in ((True, 3), (False, 60)):
        check = Counting(shares)
        bus = InMemoryEmitter()
        service = CheckerService(Settings(results_interval=0.2),
                                 ConductorClient(InProcessTransport(lambda e: (200, {"result": {}}))),
                                 bus, {"HTTP": check}, checker_id="test")
        with asyncio.Runner() as runner:
            stats = runner.run(service.run_batch(batch(checks, length=1.5)))
        sent = [r for e in bus.of_type(CHECK_RESULTS) for r in e.data["results"]]
        assert 1 <= check.probes <= most and len(sent) == stats.probes + stats.shared
        assert {r["member_id"] for r in sent} == {c.member_id for c in checks}
        assert (stats.shared > 0) is shares


def test_a_batch_carries_a_probes_checks_as_one_spec_each_with_its_ids_and_thresholds(make_check):
    shared = [spec(f"m{i:02}", make_check) for i in range(40)]
    own = [CheckSpec.model_validate(make_check(f"o{i}", delay=1)) for i in range(3)]
    # the checks folds declines (m30-m39) travel in full
    [one] = shard(own + shared, batch_size=100, max_rate=1e9, window=1.0,
                  folds=lambda s: not s.member_id.startswith("m3"))
    heads = [c for c in one if c.member_id.startswith("m")]
    assert [c.member_id for c in heads] == ["m00"] + [f"m{i}" for i in range(30, 40)]
    assert heads[0].monitor == shared[0].monitor
    assert [(r.member_id, r.pool_id, r.monitor_id, r.max_retries, r.max_retries_down)
            for r in heads[0].same_probe] == [
        (c.member_id, c.pool_id, c.monitor.id, c.monitor.max_retries, c.monitor.max_retries_down)
        for c in shared[1:30]]
    assert all(not c.same_probe for c in one if c is not heads[0])
    assert sum(1 + len(c.same_probe) for c in one) == 43
    # folded checks still count one by one against batch_size
    cut = shard(shared, batch_size=15, max_rate=1e9, window=1.0, folds=lambda s: True)
    assert [[len(c.same_probe) for c in b] for b in cut] == [[14], [14], [9]]
    # and the batch on the wire is smaller than the one with every check in full (these
    # specs are short: the benchmark's are four times the size of a folded check)
    full = encode(CHECK_BATCH, batch(shared))
    folded = encode(CHECK_BATCH, batch(shard(shared, 100, 1e9, window=1.0, folds=lambda s: True)[0]))
    assert len(pydantic_core.to_json(folded)) < 0.6 * len(pydantic_core.to_json(full))


def test_a_folded_batch_gives_every_check_what_the_same_checks_in_full_get(make_check):
    checks = [spec(f"m{i}", make_check) for i in range(30)]
    [folded] = shard(checks, 100, 1e9, window=1.0, folds=lambda s: True)
    assert len(folded) == 1
    full, compact = Probes(ok=False), Probes(ok=False)
    full_streaks, compact_streaks = {}, {}
    full_stats = run(batch(checks, length=1.0), full, shares=lambda s: True, streaks=full_streaks)
    compact_stats = run(batch(folded, length=1.0), compact, shares=lambda s: True,
                        streaks=compact_streaks)
    assert len(full.runs) == len(compact.runs) == 1
    assert compact_stats.probes == 1 and compact_stats.shared == full_stats.shared == 29

    def outcomes(probes):
        return sorted((r.member_id, r.monitor_id, r.ok, r.reason, r.address, r.latency_ms)
                      for r in probes.results)
    assert outcomes(compact) == outcomes(full) and len(compact.results) == 30
    assert compact_streaks == full_streaks == {(c.member_id, c.monitor.id): 1 for c in checks}
    # a failure is news by each folded check's own max_retries_down, not by its head's
    head, rider = spec("a", make_check, max_retries_down=1), spec("b", make_check, max_retries_down=3)
    [pair] = shard([head, rider], 100, 1e9, window=1.0, folds=lambda s: True)
    assert [r.member_id for r in pair[0].same_probe] == ["b"]
    urgent: list[bool] = []

    async def sink(results, endpoints, is_urgent=False):
        urgent.append(is_urgent)
    streaks = {("a", "mon-a"): 5, ("b", "mon-b"): 1}
    asyncio.run(run_batch(batch(pair, length=1.0), Probes(ok=False).probe, sink,
                          max_concurrency=10, flush_interval=0.2, shares=lambda s: True,
                          streaks=streaks))
    assert streaks == {("a", "mon-a"): 6, ("b", "mon-b"): 2} and any(urgent)


def test_neutron_members_and_checks_that_decline_sharing_travel_in_full(make_check):
    def service(shares: bool) -> CheckerService:
        return CheckerService(Settings(), ConductorClient(InProcessTransport(
            lambda e: (200, {"result": {}}))), InMemoryEmitter(), {"HTTP": Counting(shares)},
            checker_id="test")
    plain = spec("a", make_check)
    neutron = plain.model_copy(update={"member_type": "neutron_port", "neutron_id": "port-1"})
    assert service(True).folds(plain) and not service(False).folds(plain)
    assert not service(True).folds(neutron)


def test_a_tick_folds_a_probes_checks_and_its_batch_gives_each_a_result(fake_transport, make_check):
    fake_transport.checks = [make_check(f"m{i:02}", monitor=f"mon-{i}", delay=1, address=ADDRESS)
                             for i in range(50)]
    check, bus = Counting(True), InMemoryEmitter()
    service = CheckerService(Settings(region="R", regions=["R"], results_interval=0.2,
                                      batch_size=20), ConductorClient(fake_transport), bus,
                             {"HTTP": check}, checker_id="test")
    out = service.on_tick(CheckTick(region="R", scheduled_at=utcnow(), period=1.0).model_dump())
    batches = bus.of_type(CHECK_BATCH)
    assert out.checks == 50 and len(batches) == 3    # 20 + 20 + 10 checks
    assert [[len(c["same_probe"]) for c in b.data["checks"]] for b in batches] == [[19], [19], [9]]
    for event in batches:
        service.on_batch(event.data)
    sent = [r for e in bus.of_type(CHECK_RESULTS) for r in e.data["results"]]
    assert check.probes == 3                           # once per batch
    assert sorted(r["member_id"] for r in sent) == [f"m{i:02}" for i in range(50)]
    assert {r["monitor_id"] for r in sent} == {f"mon-{i}" for i in range(50)}


def test_with_folding_off_a_tick_sends_every_check_in_full(fake_transport, make_check):
    """``fold_checks`` off (a rolling upgrade: checkers from before ``same_probe`` refuse
    it): the batches carry no ``same_probe`` at all, and the probe is still shared."""
    fake_transport.checks = [make_check(f"m{i:02}", monitor=f"mon-{i}", delay=1, address=ADDRESS)
                             for i in range(50)]
    check, bus = Counting(True), InMemoryEmitter()
    service = CheckerService(Settings(region="R", regions=["R"], results_interval=0.2,
                                      batch_size=20, fold_checks=False),
                             ConductorClient(fake_transport), bus, {"HTTP": check},
                             checker_id="test")
    service.on_tick(CheckTick(region="R", scheduled_at=utcnow(), period=1.0).model_dump())
    batches = bus.of_type(CHECK_BATCH)
    assert [len(b.data["checks"]) for b in batches] == [20, 20, 10]
    assert not any("same_probe" in c for b in batches for c in b.data["checks"])
    for event in batches:
        service.on_batch(event.data)
    sent = [r for e in bus.of_type(CHECK_RESULTS) for r in e.data["results"]]
    assert check.probes == 3 and len(sent) == 50


def test_checks_folded_for_a_check_plugin_that_declines_sharing_each_probe_for_themselves(make_check):
    checks = [spec(f"m{i}", make_check) for i in range(20)]
    [folded] = shard(checks, 100, 1e9, window=1.0, folds=lambda s: True)
    probes = Probes()
    stats = run(batch(folded, length=1.0), probes)   # no sharing here
    assert stats.shared == 0 and stats.probes == len(probes.runs) == 20
    assert sorted((r.member_id, r.monitor_id) for r in probes.results) == sorted(
        (c.member_id, c.monitor.id) for c in checks)
    check = Counting(False)
    service = CheckerService(Settings(results_interval=0.2), ConductorClient(InProcessTransport(
        lambda e: (200, {"result": {}}))), InMemoryEmitter(), {"HTTP": check}, checker_id="test")
    with asyncio.Runner() as runner:
        stats = runner.run(service.run_batch(batch(folded, length=1.0)))
    assert check.probes == stats.probes == 20 and stats.shared == 0
