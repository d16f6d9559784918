"""Region modes act on results leaving a region; cron emits ticks and reconciles."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kosmos.contracts.events import (CHECK_RESULTS, CHECK_TICK, ENGINE_RECONCILE, CheckResults,
                                     CheckTick, EngineReconcile)
from kosmos.errors import NotFound, ValidationError
from kosmos_local.cron import Cron
from kosmos_local.events import Envelope
from kosmos_local.regions import RegionModes

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def results(region: str) -> Envelope:
    data = CheckResults(region=region, checker_id="c1", results=[
        {"member_id": "m1", "monitor_id": "mon", "address": "127.0.0.2", "ok": True,
         "latency_ms": 1.0, "reason": "HTTP 200", "checked_at": NOW}])
    return Envelope(type=CHECK_RESULTS, data=data.model_dump(mode="json"))


def test_ok_region_passes_results_unchanged():
    modes = RegionModes(["A", "B"])
    env = results("A")
    assert modes.apply(env) is env


def test_failed_region_results_all_fail_and_stay_valid():
    modes = RegionModes(["A", "B"])
    modes.set("A", "fail")
    out = modes.apply(results("A"))
    parsed = CheckResults.model_validate(out.data)
    assert [r.ok for r in parsed.results] == [False]
    assert "simulated failure of region A" in parsed.results[0].reason
    assert modes.apply(results("B")).data["results"][0]["ok"] is True


def test_partial_failure_fails_only_the_named_addresses():
    modes = RegionModes(["A"])
    env = results("A")
    other = {**env.data["results"][0], "member_id": "m2", "address": "127.0.0.3"}
    env = env.replace_data({**env.data, "results": [env.data["results"][0], other]})
    modes.set("A", "fail", ["127.0.0.3"])
    out = CheckResults.model_validate(modes.apply(env).data)
    assert [(r.address, r.ok) for r in out.results] == [("127.0.0.2", True), ("127.0.0.3", False)]
    modes.set("A", "ok")
    assert modes.addresses() == {} and modes.apply(env) is env


def test_cut_region_results_never_arrive():
    modes = RegionModes(["A"])
    modes.set("A", "cut")
    assert modes.apply(results("A")) is None
    tick = Envelope(type=CHECK_TICK, data={"region": "A"})
    assert modes.apply(tick) is tick  # the region still probes; only its results are lost


def test_bad_mode_and_unknown_region_are_named_errors():
    modes = RegionModes(["A"])
    with pytest.raises(ValidationError) as err:
        modes.set("A", "down")
    assert err.value.field == "mode"
    with pytest.raises(NotFound):
        modes.set("Z", "ok")


def test_cron_ticks_every_region_and_reconciles_every_n_rounds():
    sent: list[Envelope] = []
    cron = Cron(["A", "B"], period=1.0, emit=sent.append, reconcile_every=3, now=lambda: NOW)
    for _ in range(4):
        cron.fire()
    ticks = [e for e in sent if e.type == CHECK_TICK]
    assert [CheckTick.model_validate(e.data).region for e in ticks] == ["A", "B"] * 4
    assert CheckTick.model_validate(ticks[0].data).period == 1.0
    reconciles = [e for e in sent if e.type == ENGINE_RECONCILE]
    assert len(reconciles) == 2  # rounds 0 and 3
    EngineReconcile.model_validate(reconciles[0].data)


def test_cron_thread_keeps_its_period():
    import time
    sent: list[Envelope] = []
    cron = Cron(["A"], period=0.05, emit=sent.append, reconcile_every=100)
    cron.start()
    time.sleep(0.32)
    cron.stop()
    n = len([e for e in sent if e.type == CHECK_TICK])
    assert 5 <= n <= 8
