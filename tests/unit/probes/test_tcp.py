"""The TCP check on the loop's callbacks: connected, refused, or out of time, as awaited."""
from __future__ import annotations

import asyncio
import socket

import pytest

from kosmos.checker.service import new_event_loop
from kosmos.contracts.events import CheckSpec
from kosmos.probes.base import Target
from kosmos.probes.reactor import for_running_loop
from kosmos.probes.tcp import TcpCheck

pytestmark = pytest.mark.skipif(not hasattr(__import__("select"), "epoll"), reason="epoll is Linux's")


def target(address: str, port: int) -> Target:
    spec = CheckSpec.model_validate({
        "member_id": "m", "pool_id": "p", "project_id": "x", "address": address, "port": port,
        "monitor": {"id": "mon", "type": "TCP", "delay": 1, "timeout": 1.0, "max_retries": 1,
                    "max_retries_down": 1}})
    return Target(address, port, spec)


def on_callbacks(t: Target, timeout: float):
    async def main():
        done = asyncio.get_running_loop().create_future()
        TcpCheck().start(t, timeout, done.set_result, for_running_loop())
        return await asyncio.wait_for(done, 10)
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main())


def awaited(t: Target):
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        try:
            return runner.run(TcpCheck().probe(t))
        except Exception as exc:   # noqa: BLE001 - CheckFailed: its reason
            return exc


def test_a_listening_port_is_connected_and_a_closed_one_refused_as_when_awaited():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        outcome = on_callbacks(target("127.0.0.1", port), 2.0)
        assert outcome.ok and outcome.reason == "connected" and outcome.latency_ms >= 0
    # the listener is gone: nothing listens on that port now
    outcome = on_callbacks(target("127.0.0.1", port), 2.0)
    assert not outcome.ok and outcome.reason == "connection refused"
    assert awaited(target("127.0.0.1", port)).reason == outcome.reason


def test_a_port_whose_queue_is_full_is_out_of_time():
    # A listener that never accepts, its backlog filled: the kernel drops further SYNs,
    # so the connect neither completes nor fails before the deadline.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        held = []
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            held.append(s)
        try:
            assert on_callbacks(target("127.0.0.1", port), 0.3) is None
        finally:
            for s in held:
                s.close()


def test_only_ip_literals_take_the_callback_path():
    check = TcpCheck()
    assert check.starts(target("192.0.2.1", 80)) and check.starts(target("2001:db8::1", 80))
    assert not check.starts(target("www.example.com", 80))
    assert not check.starts(target("fe80::1%eth0", 80))
