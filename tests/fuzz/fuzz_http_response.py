"""Coverage-guided fuzzing of the checker's HTTP response parser (atheris).

Run: ``python tests/fuzz/fuzz_http_response.py -max_total_time=30`` (libFuzzer
flags). Any input the peer may send, split into any chunks, must end the probe
with an HttpReading or a ProbeError, never another exception; tests/fuzz/test_fuzz.py
runs it for a bounded time in CI.
"""
from __future__ import annotations

import asyncio
import sys

import atheris

with atheris.instrument_imports():
    from kosmos.probes.httpwire import HttpProbeProtocol, HttpReading, ProbeError

LOOP = asyncio.new_event_loop()


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    needle = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 8)) or None
    head = fdp.ConsumeBool()
    future = LOOP.create_future()
    proto = HttpProbeProtocol(b"GET / HTTP/1.1\r\n\r\n", needle, frozenset({200, 204}), head, future)
    while fdp.remaining_bytes() and not future.done():
        proto.data_received(fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 64)))
    if fdp.ConsumeBool():
        proto.eof_received()
    proto.connection_lost(None)
    assert future.done(), "the probe did not settle on EOF"
    exc = future.exception()
    assert exc is None and isinstance(future.result(), HttpReading) or isinstance(exc, ProbeError), exc


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
