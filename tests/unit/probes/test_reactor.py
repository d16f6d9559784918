"""The reactor: one epoll set and one deadline timer per loop for callback probes."""
from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from kosmos.checker.service import new_event_loop
from kosmos.probes import reactor as reactor_mod
from kosmos.probes.reactor import READ, for_running_loop

pytestmark = pytest.mark.skipif(not hasattr(__import__("select"), "epoll"), reason="epoll is Linux's")


class Probe:
    def __init__(self, name: str, expired: list[str]):
        self.name, self.expired, self.settled = name, expired, False

    def expire(self) -> None:
        self.settled = True
        self.expired.append(self.name)


def run(coro):
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(coro)


def test_deadlines_of_different_timeouts_expire_in_time_order_and_settled_ones_not_at_all():
    async def main():
        reactor = for_running_loop()
        expired: list[str] = []
        slow, fast, done = Probe("slow", expired), Probe("fast", expired), Probe("done", expired)
        reactor.expire_after(0.3, slow)
        reactor.expire_after(0.1, fast)
        reactor.expire_after(0.05, done)
        done.settled = True
        await asyncio.sleep(0.2)
        assert expired == ["fast"]
        await asyncio.sleep(0.2)
        assert expired == ["fast", "slow"]
        assert reactor.deadlines == {} and reactor._timer is None
    run(main())


def test_deadlines_within_a_grain_are_swept_in_one_wake_up_and_never_early():
    async def main():
        reactor = for_running_loop()
        loop = asyncio.get_running_loop()
        swept: list[float] = []
        sweep = reactor._sweep

        def counting_sweep() -> None:
            swept.append(loop.time())
            sweep()
        reactor._sweep = counting_sweep
        late: dict[str, float] = {}

        class Timed(Probe):
            def expire(self) -> None:
                super().expire()
                late[self.name] = loop.time() - deadlines[self.name]
        expired: list[str] = []
        deadlines = {}
        for i in range(5):   # five deadlines 2 ms apart: within one grain
            name = f"p{i}"
            deadlines[name] = reactor.expire_after(0.05 + i * 0.002, Timed(name, expired))
        await asyncio.sleep(0.05 + 0.01 + reactor_mod.GRAIN + 0.2)
        assert expired == ["p0", "p1", "p2", "p3", "p4"]
        assert len(swept) == 1
        assert min(late.values()) >= 0.0
    run(main())


def test_a_ready_socket_calls_back_and_a_forgotten_one_does_not():
    async def main():
        reactor = for_running_loop()
        a, b = socket.socketpair()
        seen: list[int] = []
        got = asyncio.get_running_loop().create_future()

        def ready(events: int) -> None:
            seen.append(events)
            a.recv(10)
            if not got.done():
                got.set_result(None)
        a.setblocking(False)
        reactor.watch(a.fileno(), ready, READ)
        b.send(b"x")
        await asyncio.wait_for(got, 2)
        assert seen and seen[0] & READ
        reactor.forget(a.fileno())
        b.send(b"y")
        await asyncio.sleep(0.1)
        assert len(seen) == 1
        a.close()
        b.close()
        # A new socket (most likely on the closed one's number) registers afresh.
        c, d = socket.socketpair()
        again = asyncio.get_running_loop().create_future()
        reactor.watch(c.fileno(), lambda ev: again.done() or again.set_result(ev), READ)
        d.send(b"z")
        assert await asyncio.wait_for(again, 2) & READ
        c.close()
        d.close()
    run(main())


def test_each_loop_has_its_own_reactor_and_closed_loops_free_theirs():
    async def mine():
        return for_running_loop()
    first = run(mine())
    second = run(mine())
    assert first is not second and first.loop is not second.loop
    assert first.epoll.closed   # the first loop had closed when the second asked
    assert all(not r.loop.is_closed() or r is second for r in reactor_mod._REACTORS.values())


def test_batches_in_other_threads_purge_closed_loops_without_tripping_on_each_other():
    """The checker runs batches in several threads at once, each on a loop of its own,
    and each may purge the reactors of loops closed since. Four threads making a loop,
    asking for its reactor and closing it, 200 times each, once raised KeyError (two
    purged the same entry)."""
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        for _ in range(200):
            try:
                run(_reactor_of_running_loop())
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # at most the reactor of each thread's last loop is left, and only if not yet purged
    assert sum(1 for r in reactor_mod._REACTORS.values() if r.loop.is_closed()) <= 4


def test_a_purge_skips_an_entry_another_thread_removed_meanwhile(monkeypatch):
    """Deterministic form of the race above: the entry goes while the purge is looking at it."""
    class Gone:
        class loop:   # noqa: N801 - stands for an event loop
            @staticmethod
            def is_closed() -> bool:
                reactor_mod._REACTORS.pop(-1, None)   # the other thread's purge
                return True

    monkeypatch.setitem(reactor_mod._REACTORS, -1, Gone())
    assert run(_reactor_of_running_loop()) is not None
    assert -1 not in reactor_mod._REACTORS


async def _reactor_of_running_loop():
    return for_running_loop()
