"""Probe engines compared closed-loop (used by bench_checker.py --compare).

Each engine runs the same number of HTTP GET probes (one connection each)
against the healthy loopback endpoints with bounded concurrency, as fast as
it can; printed: probes/s and CPU seconds per 1,000 probes of this process
(median of a few runs).
"""
from __future__ import annotations

import asyncio
import http.client
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from kosmos.probes.base import Target
from kosmos.probes.http import HttpCheck
from kosmos.contracts.events import CheckSpec, MonitorSpec

PROBES = 10_000
CONCURRENCY = 200
THREADS = 64
TIMEOUT = 1.0
REPEATS = 3


def _measure(name: str, run: Callable[[], int]) -> None:
    """Median of REPEATS runs: the machine is shared, single runs swing by 2x."""
    rates, cpus, oks = [], [], []
    for _ in range(REPEATS):
        c0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        oks.append(run())
        c1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        rates.append(PROBES / (t1 - t0))
        cpus.append(((c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)) / PROBES * 1000)
    print(f"  {name:<34} {statistics.median(rates):8.0f} probes/s  {statistics.median(cpus):6.3f} "
          f"CPU s/1000  ({min(oks)} of {PROBES} HTTP 200 at worst)")


def _async_run(factory: Callable[[], asyncio.AbstractEventLoop], probe, addrs: list[str], port: int) -> int:
    async def main() -> int:
        gate = asyncio.Semaphore(CONCURRENCY)
        ok = 0

        async def one(i: int) -> None:
            nonlocal ok
            async with gate:
                try:
                    async with asyncio.timeout(TIMEOUT):
                        passed = await probe(addrs[i % len(addrs)], port)
                except (OSError, TimeoutError):
                    return
                # Not `ok += await ...`: that reads ok before the await and loses updates.
                ok += passed

        await asyncio.gather(*(one(i) for i in range(PROBES)))
        return ok

    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main())


def _lean_probe():
    check = HttpCheck()
    mon = MonitorSpec(id="m", type="HTTP", delay=5, timeout=TIMEOUT, max_retries=1, max_retries_down=1)
    targets: dict[str, Target] = {}

    async def probe(address: str, port: int) -> bool:
        t = targets.get(address)
        if t is None:
            spec = CheckSpec(member_id=address, pool_id="p", project_id="b", address=address,
                             port=port, monitor=mon)
            t = targets[address] = Target(address, port, spec)
        return (await check.probe(t)).ok
    return probe


async def _streams_probe(address: str, port: int) -> bool:
    reader, writer = await asyncio.open_connection(address, port)
    try:
        writer.write(f"GET / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n".encode())
        line = await reader.readline()
        return line.split()[1] == b"200"
    finally:
        writer.transport.abort()


def _aiohttp_engine(factory):
    import aiohttp

    def run(addrs: list[str], port: int) -> int:
        async def main() -> int:
            connector = aiohttp.TCPConnector(limit=CONCURRENCY, force_close=True)
            async with aiohttp.ClientSession(connector=connector) as session:
                async def probe(address: str, p: int) -> bool:
                    async with session.get(f"http://{address}:{p}/") as resp:
                        return resp.status == 200
                gate = asyncio.Semaphore(CONCURRENCY)
                ok = 0

                async def one(i: int) -> None:
                    nonlocal ok
                    async with gate:
                        try:
                            async with asyncio.timeout(TIMEOUT):
                                passed = await probe(addrs[i % len(addrs)], port)
                        except (OSError, TimeoutError, aiohttp.ClientError):
                            return
                        ok += passed
                await asyncio.gather(*(one(i) for i in range(PROBES)))
                return ok
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(main())
    return run


def _threads(addrs: list[str], port: int) -> int:
    def one(i: int) -> bool:
        conn = http.client.HTTPConnection(addrs[i % len(addrs)], port, timeout=TIMEOUT)
        try:
            conn.request("GET", "/", headers={"Connection": "close"})
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()
    with ThreadPoolExecutor(THREADS) as pool:
        return sum(pool.map(one, range(PROBES)))


def compare(addrs: list[str], port: int) -> None:
    import uvloop
    print(f"probe engines, closed loop: {PROBES} probes, concurrency {CONCURRENCY} "
          f"(threads: {THREADS}), median of {REPEATS} runs")
    _measure("uvloop + lean protocol (chosen)", lambda: _async_run(uvloop.new_event_loop, _lean_probe(), addrs, port))
    _measure("asyncio + lean protocol", lambda: _async_run(asyncio.new_event_loop, _lean_probe(), addrs, port))
    _measure("uvloop + asyncio streams", lambda: _async_run(uvloop.new_event_loop, _streams_probe, addrs, port))
    _measure(f"threads ({THREADS}) + http.client", lambda: _threads(addrs, port))
    try:
        run = _aiohttp_engine(uvloop.new_event_loop)
    except ImportError:
        print("  uvloop + aiohttp                    (aiohttp not installed: skipped)")
        return
    _measure("uvloop + aiohttp", lambda: run(addrs, port))
