"""Octavia / LBaaS v2 check: ask the load balancer's region, not its VIP.

For ``neutron_lbaas_v2`` members the checker reads the load balancer's status
tree from the member's region (openstacksdk ``conn.load_balancer``): Octavia
already health-checks its own members from inside the network, and a VIP may
not be reachable from other regions at all. The monitor's delay, timeout and
rise/fall counts still apply; its HTTP fields do not. The load balancer must
belong to the member's project (else: not found).

Verdict, from the listener on the member's port (the load balancer's own
roll-up counts other listeners' troubles):
- no listener on that port, the load balancer OFFLINE, or the listener
  OFFLINE or ERROR fails;
- otherwise it passes when at least one member of the listener's pools is
  ONLINE (or NO_MONITOR: the pool has no health monitor), and fails when none
  is; the reason says how many of how many.

A region whose API is down, slower than the monitor's timeout, or still being
connected to (building an openstacksdk connection takes seconds, and is done
once, beside the probe rather than inside its timeout) gives no verdict
(CheckInconclusive), not a failure.
"""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kosmos.probes.base import Check, CheckFailed, CheckInconclusive, Outcome, Target, elapsed_ms
from kosmos.errors import NotFound, Unavailable

class OctaviaCheck(Check):
    """``type: OCTAVIA``; also used for every ``neutron_lbaas_v2`` member."""

    name = "OCTAVIA"
    probes_address = False
    member_types = ("neutron_lbaas_v2",)

    #: Threads for the blocking openstacksdk calls; not asyncio's small default pool,
    #: where queueing behind other work would eat into the probes' timeouts.
    max_workers = 16

    def __init__(self, settings: Any = None, **deps: Any):
        super().__init__(settings, **deps)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._connecting: dict[str, Future] = {}
        self._connecting_lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="kosmos-octavia")
            return self._pool

    @property
    def regions(self):
        regions = self.deps.get("openstack")
        if regions is None:
            from kosmos.adapters.openstack import OpenStackRegions, default_connect
            cloud = getattr(self.settings, "cloud", None)
            regions = self.deps["openstack"] = OpenStackRegions(default_connect(cloud))
        return regions

    async def probe(self, target: Target) -> Outcome:
        spec = target.spec
        if not spec.member_region or not spec.neutron_id:
            raise CheckFailed("member has no region or neutron_id to ask Octavia about")
        loop = asyncio.get_running_loop()
        if not self.regions.connected(spec.member_region):
            self._connect_soon(spec.member_region)
            raise CheckInconclusive(f"connecting to {spec.member_region}'s APIs; no verdict yet")
        started = time.perf_counter()
        # A slow API says nothing about the load balancer: give up just before the
        # runner's timeout would record a failure, and report no verdict instead.
        budget = spec.monitor.timeout * 0.9
        try:
            async with asyncio.timeout(budget):
                tree = await loop.run_in_executor(self._executor(), self.regions.load_balancer_status,
                                                  spec.member_region, spec.neutron_id,
                                                  spec.project_id)
        except TimeoutError:
            raise CheckInconclusive(f"load-balancer API of {spec.member_region} did not answer "
                                    f"within {budget:.2f}s") from None
        except NotFound:
            raise CheckFailed(f"load balancer {spec.neutron_id} not found in "
                              f"{spec.member_region}") from None
        except Unavailable as exc:
            raise CheckInconclusive(str(exc)) from None
        latency = elapsed_ms(started)
        ok, reason = verdict(tree, spec.port)
        return Outcome(ok, reason, latency)

    def _connect_soon(self, region: str) -> None:
        """Build the region's connection in a worker thread (once at a time)."""
        with self._connecting_lock:
            pending = self._connecting.get(region)
            if pending is not None and not pending.done():
                return
            self._connecting[region] = self._executor().submit(self._connect_quietly, region)

    def _connect_quietly(self, region: str) -> None:
        try:
            self.regions.prepare(region)
        except Unavailable:
            pass   # the next probe tries again and says why it has no verdict


def verdict(statuses: dict[str, Any], port: int) -> tuple[bool, str]:
    """(ok, reason) for the member on ``port`` from an Octavia status tree (``statuses``
    of GET .../status, listeners carrying ``protocol_port``)."""
    lb = statuses.get("loadbalancer") or {}
    lb_op = _up(lb.get("operating_status"))
    listeners = [li for li in lb.get("listeners") or [] if li.get("protocol_port") == port]
    if lb_op == "OFFLINE":
        return False, "load balancer OFFLINE"
    if not listeners:
        return False, f"no listener on port {port}"
    members = [m for li in listeners for pool in li.get("pools") or [] for m in pool.get("members") or []]
    online = sum(1 for m in members if _up(m.get("operating_status")) in ("ONLINE", "NO_MONITOR"))
    summary = f"{online} of {len(members)} members online"
    for li in listeners:
        op = _up(li.get("operating_status"))
        if op in ("OFFLINE", "ERROR"):
            return False, f"listener on port {port} {op} ({summary})"
    if not members:
        return False, f"listener on port {port} has no members"
    if online == 0:
        return False, f"listener on port {port}: {summary}"
    tail = "" if lb_op in ("ONLINE", "DEGRADED", "NO_MONITOR") else f"; load balancer {lb_op}"
    return True, f"listener on port {port}: {summary}{tail}"


def _up(value: Any) -> str:
    return str(value or "UNKNOWN").upper()
