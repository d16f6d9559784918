"""Deployment-wide metrics in the conductor: instances' updates add up, changes are
counted in their own transaction, and the exposition is what Prometheus reads."""
from __future__ import annotations

import pytest
from fixtures.conductor import SYSTEM

from kosmos.contracts.metrics import MetricsBuffer, flush, labels, prometheus_text
from kosmos.errors import ValidationError


def series(build) -> dict[tuple[str, str], float]:
    return {(s["name"], s["labels"]): s["value"]
            for s in build.call("metrics.read", {}, SYSTEM)["series"]}


def test_counters_add_up_across_instances_and_gauges_are_replaced(build):
    one, two = MetricsBuffer(interval=0), MetricsBuffer(interval=0)
    for buf, n in ((one, 3), (two, 4)):
        buf.add("kosmos_probes_total", n, region="RegionOne")
        buf.set("kosmos_checker_loop_lag_seconds", n / 100, region="RegionOne")
        assert flush(buf, lambda op, args: build.call(op, args, SYSTEM)) == 2
    got = series(build)
    assert got[("kosmos_probes_total", 'region="RegionOne"')] == 7
    assert got[("kosmos_checker_loop_lag_seconds", 'region="RegionOne"')] == 0.04


def test_a_failed_flush_keeps_the_counts_for_the_next(build):
    buf = MetricsBuffer(interval=0)
    buf.add("kosmos_probes_total", 5, region="r")

    def down(op, args):
        raise ConnectionError("conductor down")
    assert flush(buf, down) == 0
    buf.add("kosmos_probes_total", 1, region="r")
    flush(buf, lambda op, args: build.call(op, args, SYSTEM))
    assert series(build)[("kosmos_probes_total", 'region="r"')] == 6


def test_stored_answers_are_counted_with_them(build):
    g = build.gslb([])
    item = {"id": g["id"], "answers": ["192.0.2.1"], "answer_reason": "[HEALTHY] ok",
            "publish_status": "SYNCED"}
    build.call("gslb.set_answers", {"items": [item]}, SYSTEM)
    build.call("gslb.set_answers", {"items": [item]}, SYSTEM)     # the same again: not a change
    build.call("gslb.set_answers", {"items": [{**item, "publish_status": "HELD",
                                               "publish_reason": "circuit breaker"}]}, SYSTEM)
    got = series(build)
    assert got[("kosmos_answer_changes_total", "")] == 1
    assert got[("kosmos_breaker_holds_total", "")] == 1
    assert got[("kosmos_gslbs", 'publish_status="HELD"')] == 1
    text = prometheus_text(build.call("metrics.read", {}, SYSTEM)["series"])
    assert "# TYPE kosmos_answer_changes_total counter\nkosmos_answer_changes_total 1.0\n" in text
    assert 'kosmos_gslbs{publish_status="HELD"} 1.0' in text


@pytest.mark.parametrize("update,field", [
    ({"name": "probes", "value": 1}, "name"),
    ({"name": "kosmos_x_total", "labels": 'region="a"\n# TYPE', "value": 1}, "labels"),
    ({"name": "kosmos_x_total", "labels": 'region="a\\"b"', "value": 1}, "labels"),
    ({"name": "kosmos_x_total", "value": float("inf")}, "value"),
])
def test_bad_updates_name_the_field_and_add_nothing(build, update, field):
    with pytest.raises(ValidationError) as err:
        build.call("metrics.add", {"updates": [{"name": "kosmos_ok_total", "value": 1}, update]},
                   SYSTEM)
    assert field in (err.value.field or "")
    assert ("kosmos_ok_total", "") not in series(build)


def test_label_text_refuses_what_would_break_the_exposition():
    assert labels(region="RegionOne", function="engine") == 'function="engine",region="RegionOne"'
    with pytest.raises(ValueError):
        labels(region='a"b')
