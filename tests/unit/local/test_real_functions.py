"""The real checker and engine entry points, loaded side by side as the runner does."""
from __future__ import annotations

from pathlib import Path

import pytest

from kosmos.config import Settings
from kosmos.local import hooks
from kosmos.local.events import Envelope, post
from kosmos.local.loader import load_function, unload_function

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"


@pytest.fixture
def checkers():
    names = ["u-checker-RegionOne", "u-checker-RegionTwo"]
    src = FUNCTIONS / "checker" / "main.py"
    if not src.exists():
        pytest.skip("functions/checker/main.py is not there yet")
    fns = [load_function(n, src, "kosmos_checker", "cloudevent") for n in names]
    yield fns
    for n in names:
        unload_function(n)


def test_each_region_copy_has_its_own_service(checkers, monkeypatch):
    # A conductor that is not there: the tick must fail retryably, not use the other region.
    monkeypatch.setenv("KOSMOS_CONDUCTOR_URL", "http://127.0.0.1:9/")
    routed: list[Envelope] = []
    one, two = checkers
    hooks.inject_checker(one, Settings(region="RegionOne"), routed.append)
    hooks.inject_checker(two, Settings(region="RegionTwo"), routed.append)
    s1, s2 = one.module.INSTANCE.service(), two.module.INSTANCE.service()
    assert s1 is not s2
    assert (s1.settings.region, s2.settings.region) == ("RegionOne", "RegionTwo")
    assert s1.publisher.source.endswith("RegionOne")


def test_a_batch_runs_in_its_region_and_publishes_into_the_queue(checkers):
    from datetime import datetime, timedelta, timezone

    from kosmos.contracts.events import CHECK_BATCH, CHECK_RESULTS
    routed: list[Envelope] = []
    one, two = checkers
    hooks.inject_checker(two, Settings(region="RegionTwo", results_interval=0.1), routed.append)
    start = datetime.now(timezone.utc)
    batch = {"region": "RegionTwo", "batch_id": "RegionTwo/x/0", "window_start": start.isoformat(),
             "deadline": (start + timedelta(seconds=1)).isoformat(),
             "checks": [{"member_id": "m1", "pool_id": "p1", "project_id": "p", "address": "192.0.2.1",
                         "endpoints": ["192.0.2.1"], "port": 9,
                         "monitor": {"id": "mon", "type": "TCP", "delay": 1, "timeout": 0.2,
                                     "max_retries": 1, "max_retries_down": 1}}]}
    post(two.test_client(), Envelope(type=CHECK_BATCH, data=batch))
    results = [e for e in routed if e.type == CHECK_RESULTS]
    assert results and all(e.region == "RegionTwo" for e in results)
    assert results[0].data["results"][0]["member_id"] == "m1"
