"""The HTTP response reader, fed byte by byte and in odd splits."""
from __future__ import annotations

import asyncio

import pytest

from kosmos.probes.httpwire import HttpProbeProtocol, ProbeError


class RecordingTransport(asyncio.Transport):
    def __init__(self):
        super().__init__()
        self.written = b""
        self.aborted = False

    def write(self, data):
        self.written += data

    def abort(self):
        self.aborted = True


def feed(chunks, needle=None, accept=frozenset({200}), head=False, eof=True):
    loop = asyncio.new_event_loop()
    try:
        fut = loop.create_future()
        proto = HttpProbeProtocol(b"GET / HTTP/1.1\r\n\r\n", needle, accept, head, fut)
        transport = RecordingTransport()
        proto.connection_made(transport)
        for c in chunks:
            if fut.done():
                break
            proto.data_received(c)
        if eof and not fut.done():
            proto.eof_received()
            proto.connection_lost(None)
        assert transport.written == b"GET / HTTP/1.1\r\n\r\n"
        return fut.result(), transport
    finally:
        loop.close()


def split_every(data: bytes, n: int):
    return [data[i:i + n] for i in range(0, len(data), n)]


def test_status_decided_from_headers_without_reading_body():
    verdict, transport = feed([b"HTTP/1.1 204 No Content\r\nX: y\r\n\r\n"], eof=False)
    assert verdict.status == 204 and verdict.found is None and transport.aborted


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1000])
def test_chunked_body_searched_across_splits(step):
    raw = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"3\r\nabc\r\n6;ext=1\r\nSUCCES\r\n1\r\nS\r\n0\r\n\r\n")
    verdict, _ = feed(split_every(raw, step), needle=b"SUCCESS")
    assert verdict.found is True
    verdict, _ = feed(split_every(raw, step), needle=b"cSUC")
    assert verdict.found is True
    verdict, _ = feed(split_every(raw, step), needle=b"nope")
    assert verdict.found is False


@pytest.mark.parametrize("step", [1, 5, 64])
def test_content_length_bounds_the_search(step):
    raw = b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhelloSUCCESS"
    verdict, _ = feed(split_every(raw, step), needle=b"SUCCESS")
    assert verdict.found is False
    verdict, _ = feed(split_every(raw, step), needle=b"llo")
    assert verdict.found is True


def test_wrong_status_skips_body():
    verdict, _ = feed([b"HTTP/1.1 500 Oops\r\nContent-Length: 7\r\n\r\nSUCCESS"], needle=b"SUCCESS")
    assert verdict.status == 500 and verdict.found is None


def test_head_response_needs_no_body():
    verdict, _ = feed([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"], needle=b"x", head=True,
                      eof=False)
    assert verdict.status == 200 and verdict.found is None


@pytest.mark.parametrize("raw,reason", [
    (b"", "connection closed without a response"),
    (b"HTTP/1.1 200 OK\r\nContent-", "connection closed before a complete response"),
    (b"SSH-2.0-OpenSSH\r\n\r\n", "malformed HTTP response"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "malformed Content-Length"),
])
def test_broken_responses_have_reasons(raw, reason):
    with pytest.raises(ProbeError, match=reason):
        feed([raw], needle=b"x")


def test_huge_headers_are_refused():
    with pytest.raises(ProbeError, match="headers too large"):
        feed([b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 70000], eof=False)
