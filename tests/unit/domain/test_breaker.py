"""The circuit breaker judges distinct endpoints down across sites, not GSLB shares."""
from __future__ import annotations

import pytest

from kosmos.domain.breaker import DownMember, judge, removes, site_of


def down(n: int, net: str = "10.0.0", port: int = 80, region: str | None = None, mon: str = "m"):
    return [DownMember(f"{net}-{i}-{port}", (f"{net}.{i + 1}",), port, region, (mon,))
            for i in range(n)]


@pytest.mark.parametrize("cur, des, dropped", [
    (["a", "b"], ["a", "b"], False), (["a", "b"], ["a"], True), ([], ["a"], False),
    (["a"], ["a", "b"], False), (["a"], ["b"], True)])
def test_removes(cur, des, dropped):
    assert removes(cur, des) is dropped


def test_sites_are_regions_else_networks():
    assert site_of("10.1.2.3", None) == site_of("10.1.2.200", None) == "net:10.1.2.0/24"
    assert site_of("10.1.2.3", "east") == "region:east"
    assert site_of("2001:db8:1:2::1", None) == "net:2001:db8:1::/48"


def test_many_endpoints_down_across_sites_holds_and_says_why():
    v = judge(20, down(6, "10.0.0") + down(6, "10.0.1"), 0.5, 10, {"m": "2026-01-01T00:00:00Z"})
    assert v.hold
    assert "12 of 20" in v.reason and "2 sites" in v.reason and "monitors changed" in v.reason
    assert v.evidence["endpoints_down"] == 12 and v.evidence["monitors_changed"] == {"m": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize("members, total, why", [
    (down(1, "203.0.113") * 50, 2, "one address behind any number of members is one endpoint"),
    (down(6, "10.0.0") + down(3, "10.0.1"), 10, "fewer than the floor of 10 endpoints"),
    (down(6, "10.0.0") + down(6, "10.0.1"), 30, "less than half of the endpoints"),
    (down(20, "10.0.0"), 25, "one site (one network), however large"),
    (down(10, "10.0.0", region="east") + down(10, "10.0.9", region="east"), 25, "one region"),
])
def test_real_outages_are_never_held(members, total, why):
    assert not judge(total, members, 0.5, 10).hold, why


def test_same_address_on_two_ports_is_two_endpoints():
    v = judge(24, down(6, "10.0.0", 80) + down(6, "10.0.0", 443) + down(1, "10.0.5"), 0.5, 10)
    assert v.hold and v.evidence["endpoints_down"] == 13


def test_suspects_count_so_checker_trouble_spreading_over_seconds_is_held_early():
    """One site's members crossed their threshold first; the others fail in enough regions
    to follow: judged by where it is going, not by the first site alone."""
    first = [DownMember(f"n{i}", ("192.0.2.4",), 8000 + i, "north") for i in range(4)]
    coming = [DownMember(f"s{i}", (f"198.51.100.{i % 2 + 2}",), 8000 + i, ("east", "west")[i % 2])
              for i in range(8)]
    alone = judge(12, first, 0.5, 10)
    assert not alone.hold                                  # one site going dark: a real outage
    v = judge(12, first, 0.5, 10, suspect=coming)
    assert v.hold and v.evidence["endpoints_down"] == 4 and v.evidence["endpoints_suspect"] == 8
    assert "8 of them failing in enough regions to follow" in v.reason
    assert not judge(12, first[:1], 0.5, 10, suspect=coming[:2]).hold   # below the floor
