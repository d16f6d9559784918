from __future__ import annotations

import asyncio
import os
import socket
import struct
from datetime import datetime, timezone

import pytest

from kosmos.checker.runner import ProbeRunner
from kosmos.checks.base import CheckUnavailable, Target
from kosmos.checks.guard import Guard
from kosmos.checks.ping import PingCheck, checksum, echo_request, socket_kind
from kosmos.checks.registry import load_checks
from kosmos.contracts.events import CheckSpec, MonitorSpec

MON = MonitorSpec(id="mon", type="PING", delay=5, timeout=1.0, max_retries=1, max_retries_down=1)


def test_echo_request_checksum_verifies():
    packet = echo_request(socket.AF_INET, 0x1234, 1, b"token-0123456789")
    assert packet[0] == 8 and struct.unpack("!H", packet[4:6])[0] == 0x1234
    assert checksum(packet) == 0  # a correct ICMP checksum sums to zero


def test_ping_loopback_when_icmp_is_permitted():
    if socket_kind(socket.AF_INET) is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs as root: ICMP sockets must be available")
        pytest.skip("neither ICMP datagram nor raw sockets are permitted here")
    spec = CheckSpec(member_id="m", pool_id="p", project_id="x", address="127.0.0.1", port=1,
                     monitor=MON)
    runner = ProbeRunner(load_checks(), Guard(allow_loopback=True))
    r = asyncio.run(runner.run(Target("127.0.0.1", 1, spec), datetime.now(timezone.utc)))
    assert (r.ok, r.reason) == (True, "echo reply") and r.latency_ms < 1000


class NoIcmpPing(PingCheck):
    """A host where neither ICMP socket kind is permitted."""

    detect = staticmethod(lambda family: None)


def test_ping_without_icmp_permission_is_a_clear_configuration_error():
    with pytest.raises(CheckUnavailable, match="ping_group_range"):
        NoIcmpPing().validate(MON)
    runner = ProbeRunner({"PING": NoIcmpPing()}, Guard(allow_loopback=True))
    spec = CheckSpec(member_id="m", pool_id="p", project_id="x", address="127.0.0.1", port=1,
                     monitor=MON)
    assert "CAP_NET_RAW" in runner.unavailable_reason(spec)
    r = asyncio.run(runner.run(Target("127.0.0.1", 1, spec), datetime.now(timezone.utc)))
    assert not r.ok and "ping_group_range" in r.reason
