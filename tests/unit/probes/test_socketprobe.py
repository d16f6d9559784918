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


OK = (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",)


async def answering_server(pieces: tuple[bytes, ...]) -> tuple[asyncio.AbstractServer, int]:
    """Answers each request with ``pieces``, written apart (a pause between them)."""
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for i, piece in enumerate(pieces):
            if i:
                await asyncio.sleep(0.05)
            writer.write(piece)
            await writer.drain()
        writer.close()
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def probe_once(timeout: float, pieces: tuple[bytes, ...] = OK, needle: bytes | None = None,
               head: bool = False) -> tuple[object, object, float]:
    async def main():
        server, port = await answering_server(pieces)
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        started = loop.time()
        probe = SocketProbe(for_running_loop(), lambda reading, failure: done.set_result((reading, failure)))
        probe.start("127.0.0.1", port, timeout, REQUEST, needle, frozenset({200}), head)
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


@pytest.mark.parametrize("pieces,status", [
    ((b"HTTP/1.1 503 Busy\r\nServer: x\r\n\r\nbusy",), 503),
    # the head split over reads: the parser takes over from the probe
    ((b"HTTP/1.1 2", b"04 No Content\r\nServer: x\r\n", b"\r\n"), 204),
    ((b"HTTP/1.0 200 OK\r\n\r\n",), 200),
])
def test_the_status_line_decides_when_no_body_is_searched(pieces, status):
    reading, failure, _ = probe_once(5.0, pieces)
    assert failure is None and reading.status == status and reading.found is None


@pytest.mark.parametrize("pieces,reason", [
    ((b"SSH-2.0-OpenSSH_9\r\n\r\n",), "malformed HTTP response"),
    ((b"HTTP/1.1 OK\r\n\r\n",), "malformed HTTP response"),
    # a status code is three digits: five thousand of them are not one (nor an int() error)
    ((b"HTTP/1.1 " + b"9" * 5000 + b" OK\r\n\r\n",), "malformed HTTP response"),
    ((b"HTTP/1.1 20 OK\r\n\r\n",), "malformed HTTP response"),
    ((b"HTTP/1.1 200 OK\r\nServ",), "connection closed before a complete response"),
    ((), "connection closed without a response"),
])
def test_a_bad_or_missing_answer_says_what_was_wrong(pieces, reason):
    reading, failure, _ = probe_once(5.0, pieces)
    assert reading is None and failure == reason


def test_a_searched_body_is_read_and_head_requests_are_not():
    body = (b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", b"hello ", b"world")
    reading, failure, _ = probe_once(5.0, body, needle=b"world")
    assert failure is None and (reading.status, reading.found) == (200, True)
    reading, failure, _ = probe_once(5.0, body, needle=b"absent")
    assert failure is None and (reading.status, reading.found) == (200, False)
    reading, failure, _ = probe_once(5.0, body[:1], needle=b"world", head=True)
    assert failure is None and (reading.status, reading.found) == (200, None)
