"""The stated failover time: arithmetic from monitors, regions, appliance and TTL."""
from __future__ import annotations

import pytest

from kosmos.domain.failover import ENGINE_S, MonitorTiming, detect_s, failover_time, regions_needed

WEB = MonitorTiming(delay=10, timeout=2, max_retries_down=3)


@pytest.mark.parametrize("regions,quorum,needed", [(1, 0.5, 1), (2, 0.5, 2), (3, 0.5, 2),
                                                   (4, 0.5, 3), (5, 0.5, 3), (3, 0.0, 1),
                                                   (3, 0.99, 3)])
def test_regions_needed_is_more_than_the_quorum_share(regions, quorum, needed):
    assert regions_needed(regions, quorum) == needed


def test_out_of_phase_regions_shorten_detection():
    # one region: its next probe within a delay, then two more failures, the last timing out
    assert detect_s(WEB, 1, 0.5) == 10 + 2 * 10 + 2
    # three regions a third of a delay apart, two needed: the second within 2/3 of a delay
    assert detect_s(WEB, 3, 0.5) == pytest.approx(20 / 3 + 20 + 2)
    # two regions, both needed: no gain over one
    assert detect_s(WEB, 2, 0.5) == detect_s(WEB, 1, 0.5)


def test_the_worst_case_adds_decide_publish_and_ttl():
    fast = MonitorTiming(delay=2, timeout=1, max_retries_down=2)
    ft = failover_time([([WEB, fast], 3), ([WEB], 2)], 0.5, results_interval=1.0,
                       publish_s=0.5, ttl=30)
    # the first pool goes down with its faster monitor; the second pool is the slower one
    assert ft.detect_s == pytest.approx(detect_s(WEB, 2, 0.5))
    assert ft.decide_s == 1.0 + ENGINE_S and ft.publish_s == 0.5 and ft.ttl_s == 30
    assert ft.worst_case_s == pytest.approx(ft.detect_s + ft.decide_s + 0.5 + 30, abs=0.01)


def test_nothing_monitored_states_nothing():
    assert failover_time([([], 3)], 0.5, 1.0, 0.5, 30) is None
    assert failover_time([], 0.5, 1.0, 0.5, 30) is None


def test_recheck_on_suspicion_states_the_faster_detection():
    rechecked = MonitorTiming(delay=10, timeout=2, max_retries_down=3, recheck_delay=1)
    # the first failure anywhere within 10/3 s, its timeout, a results interval and the
    # engine's turn, then three rechecks a second apart, the last one timing out
    assert detect_s(rechecked, 3, 0.5, results_interval=1.0) == pytest.approx(
        10 / 3 + 2 + 1 + ENGINE_S + 3 * 1 + 2)
    assert detect_s(rechecked, 3, 0.5) < detect_s(WEB, 3, 0.5)
    # a recheck slower than the monitor's own pace changes nothing
    slow = MonitorTiming(delay=2, timeout=1, max_retries_down=2, recheck_delay=2)
    assert detect_s(slow, 3, 0.5) == detect_s(MonitorTiming(2, 1, 2), 3, 0.5)
