from __future__ import annotations

import pytest

from kosmos.checks.guard import Guard, parse_cidrs
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


def test_public_and_private_addresses_pass_by_default():
    for address in ("203.0.113.7", "10.0.0.5", "2001:db8::1"):
        assert Guard().refusal(address) is None


def test_deny_cidrs_from_settings():
    guard = Guard.from_settings(Settings(deny_cidrs=["10.0.0.0/8", "2001:db8::/32"]))
    assert guard.refusal("10.1.2.3") == "refused: 10.1.2.3 is in denied range 10.0.0.0/8"
    assert "2001:db8::/32" in guard.refusal("2001:db8::5")
    assert guard.refusal("192.0.2.1") is None


def test_multicast_and_non_ip_refused():
    assert "multicast" in Guard().refusal("224.0.0.1")
    assert Guard().refusal("example.com") == "refused: 'example.com' is not an IP address"


def test_bad_cidr_is_a_named_configuration_error():
    with pytest.raises(ValidationError) as err:
        parse_cidrs(["10.0.0.0/33"])
    assert err.value.field == "deny_cidrs"
