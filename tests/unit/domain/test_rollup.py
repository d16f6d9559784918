"""Pool and GSLB operating status from their parts."""
from __future__ import annotations

import pytest

from kosmos.contracts.common import OperatingStatus
from kosmos.domain.rollup import gslb_status, pool_status


@pytest.mark.parametrize("monitored, members, expected", [
    (False, ["OFFLINE"], "NO_MONITOR"),
    (True, [], "OFFLINE"),
    (True, ["ONLINE", OperatingStatus.ONLINE], "ONLINE"),
    (True, ["ONLINE", "OFFLINE"], "DEGRADED"),
    (True, ["NO_MONITOR", "NO_MONITOR"], "NO_MONITOR"),
    (True, ["NO_MONITOR", "OFFLINE"], "OFFLINE"),
])
def test_pool_status(monitored, members, expected):
    assert pool_status(monitored, members) == expected


@pytest.mark.parametrize("pools, expected", [
    ([], "OFFLINE"), (["ONLINE", "ONLINE"], "ONLINE"), (["DEGRADED", "OFFLINE"], "DEGRADED"),
    (["ONLINE", "OFFLINE"], "DEGRADED"), (["NO_MONITOR"], "NO_MONITOR"),
    (["OFFLINE", "NO_MONITOR"], "OFFLINE"),
])
def test_gslb_status(pools, expected):
    assert gslb_status(pools) == expected
