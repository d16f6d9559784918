"""The callback HTTP probe: what it reports around its deadline."""
from __future__ import annotations

import asyncio

import pytest

from kosmos.checker.service import new_event_loop
from kosmos.probes import reactor as reactor_mod
from kosmos.probes.reactor import for_running_loop
from kosmos.probes.socketprobe import SocketProbe

pytestmark = pytest.mark.skipif(not hasattr(__import__("select"), "epoll"), reason="epoll is Linux's")

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


async def answering_server() -> tuple[asyncio.AbstractServer, int]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def probe_once(timeout: float) -> tuple[object, object, float]:
    async def main():
        server, port = await answering_server()
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        started = loop.time()
        probe = SocketProbe(for_running_loop(), lambda reading, failure: done.set_result((reading, failure)))
        probe.start("127.0.0.1", port, timeout, REQUEST, None, frozenset({200}), False)
        reading, failure = await asyncio.wait_for(done, 10)
        server.close()
        return reading, failure, loop.time() - started
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main())


def test_an_answer_in_time_is_a_reading():
    reading, failure, _ = probe_once(5.0)
    assert failure is None and reading is not None and reading.status == 200


def test_an_answer_after_the_deadline_is_a_timeout_though_the_sweep_has_not_come(monkeypatch):
    # The sweep comes a whole minute after the deadline here: the answer, which arrives
    # long before it, must still be reported as the deadline's (None, None).
    monkeypatch.setattr(reactor_mod, "GRAIN", 60.0)
    reading, failure, took = probe_once(0.0)
    assert (reading, failure) == (None, None)
    assert took < 30.0   # reported when the answer came, not when the sweep did
