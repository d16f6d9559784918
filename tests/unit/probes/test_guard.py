from __future__ import annotations

import pytest

from kosmos.probes.guard import Guard, parse_cidrs
from kosmos.config import Settings
from kosmos.errors import ValidationError


@pytest.mark.parametrize("address", ["127.0.0.1", "127.9.9.9", "::1", "0.0.0.0", "::",
                                     "::ffff:127.0.0.1"])
def test_loopback_refused_unless_allowed(address):
    assert "loopback" in Guard().refusal(address)
    assert Guard(allow_loopback=True).refusal(address) is None


@pytest.mark.parametrize("address", ["169.254.169.254", "169.254.0.1", "fe80::1"])
def test_link_local_and_metadata_refused_unless_allowed(address):
    assert "link-local" in Guard().refusal(address)
    assert Guard(allow_link_local=True).refusal(address) is None


def test_only_globally_routable_addresses_pass_by_default():
    for address in ("8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808",
                    "2002:808:808::1"):
        assert Guard().refusal(address) is None, address


@pytest.mark.parametrize("address", [
    "10.0.0.5", "172.16.0.1", "172.31.255.254", "192.168.1.1",   # private
    "100.64.0.1",                                               # shared (CGNAT)
    "fc00::1", "fd12:3456::1",                                  # unique-local
    "0.1.2.3", "255.255.255.255", "192.0.2.1", "2001:db8::1",   # this network, broadcast, docs
])
def test_what_is_not_globally_routable_is_refused(address):
    assert "not a globally routable" in Guard().refusal(address)


@pytest.mark.parametrize("address,inner", [
    ("::ffff:10.0.0.5", "10.0.0.5"),         # IPv4-mapped
    ("64:ff9b::a00:5", "10.0.0.5"),          # NAT64
    ("2002:a00:5::1", "10.0.0.5"),           # 6to4
    ("::10.0.0.5", "10.0.0.5"),              # IPv4-compatible
    ("64:ff9b::a9fe:a9fe", "169.254.169.254"),   # the metadata address, through NAT64
    ("2002:7f00:1::1", "127.0.0.1"),
])
def test_ipv4_carried_in_ipv6_is_judged_by_the_ipv4_it_reaches(address, inner):
    why = Guard().refusal(address)
    assert why is not None and inner in why


def test_an_operator_allows_chosen_ranges_and_deny_still_wins():
    guard = Guard.from_settings(Settings(allow_cidrs=["10.0.0.0/8"], deny_cidrs=["10.9.0.0/16"]))
    assert guard.refusal("10.1.2.3") is None
    assert guard.refusal("64:ff9b::a01:203") is None          # 10.1.2.3 through NAT64
    assert "denied range 10.9.0.0/16" in guard.refusal("10.9.1.1")
    assert "not a globally routable" in guard.refusal("192.168.0.1")


def test_deny_cidrs_from_settings():
    guard = Guard.from_settings(Settings(deny_cidrs=["8.8.8.0/24", "2001:4860::/32"]))
    assert guard.refusal("8.8.8.8") == "refused: 8.8.8.8 is in denied range 8.8.8.0/24"
    assert "2001:4860::/32" in guard.refusal("2001:4860:4860::8888")
    assert guard.refusal("1.1.1.1") is None


def test_multicast_and_non_ip_refused():
    assert "multicast" in Guard().refusal("224.0.0.1")
    assert Guard().refusal("example.com") == "refused: 'example.com' is not an IP address"


def test_bad_cidr_is_a_named_configuration_error():
    with pytest.raises(ValidationError) as err:
        parse_cidrs(["10.0.0.0/33"])
    assert err.value.field == "deny_cidrs"
    with pytest.raises(ValidationError) as err:
        Guard.from_settings(Settings(allow_cidrs=["nonsense"]))
    assert err.value.field == "allow_cidrs"
