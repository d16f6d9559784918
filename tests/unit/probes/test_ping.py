from __future__ import annotations

import asyncio
import os
import socket
import struct
from datetime import datetime, timezone

import pytest

from kosmos.checker.prober import Prober
from kosmos.probes.base import CheckUnavailable, Target
from kosmos.probes.guard import Guard
from kosmos.probes.ping import PingCheck, checksum, echo_request, socket_kind
from kosmos.probes.registry import load_checks
from kosmos.contracts.events import CheckSpec, MonitorSpec

@pytest.fixture(params=["uvloop", "asyncio"])
def run(request):
    """Every PING test on uvloop (the checker's loop in production) and on asyncio's own."""
    from kosmos.checker.service import new_event_loop
    factory = new_event_loop if request.param == "uvloop" else asyncio.new_event_loop

    def go(coro):
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(coro)
    return go


MON = MonitorSpec(id="mon", type="PING", delay=5, timeout=1.0, max_retries=1, max_retries_down=1)


def test_echo_request_checksum_verifies():
    packet = echo_request(socket.AF_INET, 0x1234, 1, b"token-0123456789")
    assert packet[0] == 8 and struct.unpack("!H", packet[4:6])[0] == 0x1234
    assert checksum(packet) == 0  # a correct ICMP checksum sums to zero


def need_icmp() -> None:
    if socket_kind(socket.AF_INET) is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs as root: ICMP sockets must be available")
        pytest.skip("neither ICMP datagram nor raw sockets are permitted here")


def test_ping_loopback_when_icmp_is_permitted(run):
    need_icmp()
    spec = CheckSpec(member_id="m", pool_id="p", project_id="x", address="127.0.0.1", port=1,
                     monitor=MON)
    runner = Prober(load_checks(), Guard(allow_loopback=True))
    r = run(runner.run(Target("127.0.0.1", 1, spec), datetime.now(timezone.utc)))
    assert (r.ok, r.reason) == (True, "echo reply") and r.latency_ms < 1000


class NoIcmpPing(PingCheck):
    """A host where neither ICMP socket kind is permitted."""

    detect = staticmethod(lambda family: None)


def test_ping_without_icmp_permission_is_a_clear_configuration_error(run):
    with pytest.raises(CheckUnavailable, match="ping_group_range"):
        NoIcmpPing().validate(MON)
    runner = Prober({"PING": NoIcmpPing()}, Guard(allow_loopback=True))
    spec = CheckSpec(member_id="m", pool_id="p", project_id="x", address="127.0.0.1", port=1,
                     monitor=MON)
    assert "CAP_NET_RAW" in runner.unavailable_reason(spec)
    r = run(runner.run(Target("127.0.0.1", 1, spec), datetime.now(timezone.utc)))
    assert not r.ok and "ping_group_range" in r.reason


def test_many_concurrent_pings_share_one_socket_and_each_gets_its_reply(run):
    need_icmp()
    check = PingCheck()
    runner = Prober({"PING": check}, Guard(allow_loopback=True))
    targets = []
    for i in range(200):
        address = f"127.0.{i // 100}.{i % 100 + 1}"
        spec = CheckSpec(member_id=f"m{i}", pool_id="p", project_id="x", address=address, port=1,
                         monitor=MON)
        targets.append(Target(address, 1, spec))

    async def main():
        results = await asyncio.gather(*(runner.run(t, datetime.now(timezone.utc)) for t in targets))
        sockets = len(check._muxes)
        await runner.aclose()
        return results, sockets, len(check._muxes)

    results, sockets, left = run(main())
    assert all((r.ok, r.reason) == (True, "echo reply") for r in results)
    assert {r.address for r in results} == {t.address for t in targets}
    assert (sockets, left) == (1, 0)
