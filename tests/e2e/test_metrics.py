"""Metrics through the runner: what the functions did shows up in GET /metrics,
in the Prometheus text format, every sample line parsed back."""
from __future__ import annotations

import re

import pytest
import requests

from kosmos_local.harness import ADDRESSES, Api, deploy, wait_for

pytestmark = pytest.mark.e2e

LINE = re.compile(r'^(kosmos_[a-z_]+)(?:\{([^}]*)\})? (\S+)$')


def scrape(url: str) -> dict[tuple[str, str], float]:
    r = requests.get(url + "/metrics", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    out = {}
    for line in r.text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = LINE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def test_a_failover_is_counted_and_the_functions_report_their_work(start_runner, endpoints):
    runner = start_runner()
    api = Api(runner.url)
    d = deploy(runner, endpoints[ADDRESSES[0]].port, api=api)
    d.wait_answer(set(ADDRESSES), 30)
    endpoints[ADDRESSES[0]].stop()
    d.wait_answer(set(ADDRESSES[1:]), 30)

    def reported() -> dict | None:   # instances add their own counts every 10 s
        m = scrape(runner.url)
        wanted = [("kosmos_probes_failed_total", 'region="RegionOne"'),
                  ("kosmos_probes_failed_total", 'region="RegionTwo"'),
                  ("kosmos_conductor_call_seconds_count", 'function="engine"'),
                  ("kosmos_conductor_call_seconds_count", 'function="checker"'),
                  ("kosmos_publish_seconds_count", 'appliance="local"')]
        return m if all(m.get(k, 0) > 0 for k in wanted) else None
    m = wait_for(reported, 40, interval=1.0)
    assert m[("kosmos_answer_changes_total", "")] >= 2          # first publish, then the failover
    assert m[("kosmos_members", 'operating_status="OFFLINE"')] == 1
    assert m[("kosmos_members", 'operating_status="ONLINE"')] == 2
    assert m[("kosmos_gslbs", 'publish_status="SYNCED"')] == 1
    assert m[("kosmos_probes_total", 'region="RegionOne"')] >= m[("kosmos_probes_failed_total",
                                                                   'region="RegionOne"')]
    assert ("kosmos_breaker_holds_total", "") not in m           # nothing held
    # the api's own calls are counted once it flushes (after a later request)
    wait_for(lambda: scrape(runner.url).get(("kosmos_conductor_call_seconds_count",
                                             'function="api"'), 0) > 0, 30, interval=1.0)
