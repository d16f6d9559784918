"""Octavia / LBaaS v2 check: ask the load balancer's region, not its VIP.

For ``neutron_lbaas_v2`` members the checker reads the load balancer's status
tree from the member's region (openstacksdk ``conn.load_balancer``): Octavia
already health-checks its own members from inside the network, and a VIP may
not be reachable from other regions at all. The monitor's delay, timeout and
rise/fall counts still apply; its HTTP fields do not.

Mapping: provisioning ``ERROR`` fails; operating ``ONLINE`` passes;
``DEGRADED`` passes (it still serves, with some members down; the reason
says how many); ``OFFLINE``, ``ERROR`` and ``NO_MONITOR``-with-no-member-online
fail. A region whose API is down or slower than the monitor's timeout gives no
verdict (CheckInconclusive), not a failure.
"""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kosmos.checks.base import Check, CheckFailed, CheckInconclusive, Outcome, Target
from kosmos.errors import NotFound, Unavailable

PASSING = ("ONLINE", "DEGRADED")


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
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        # A slow API says nothing about the load balancer: give up just before the
        # runner's timeout would record a failure, and report no verdict instead.
        budget = spec.monitor.timeout * 0.9
        try:
            async with asyncio.timeout(budget):
                tree = await loop.run_in_executor(self._executor(), self.regions.load_balancer_status,
                                                  spec.member_region, spec.neutron_id)
        except TimeoutError:
            raise CheckInconclusive(f"load-balancer API of {spec.member_region} did not answer "
                                    f"within {budget:.2f}s") from None
        except NotFound:
            raise CheckFailed(f"load balancer {spec.neutron_id} not found in "
                              f"{spec.member_region}") from None
        except Unavailable as exc:
            raise CheckInconclusive(str(exc)) from None
        latency = round((time.perf_counter() - started) * 1000.0, 3)
        ok, reason = verdict(tree)
        return Outcome(ok, reason, latency)


def verdict(statuses: dict[str, Any]) -> tuple[bool, str]:
    """(ok, reason) for an Octavia status tree (``statuses`` of GET .../status)."""
    lb = statuses.get("loadbalancer") or {}
    op = str(lb.get("operating_status") or "UNKNOWN").upper()
    prov = str(lb.get("provisioning_status") or "").upper()
    members = [m for lst in lb.get("listeners") or [] for pool in lst.get("pools") or []
               for m in pool.get("members") or []]
    online = sum(1 for m in members if str(m.get("operating_status")).upper() in ("ONLINE", "NO_MONITOR"))
    summary = f"{online} of {len(members)} members online" if members else "no members"
    if prov == "ERROR":
        return False, f"load balancer provisioning_status ERROR ({summary})"
    if op in PASSING:
        return True, f"load balancer {op} ({summary})"
    if op == "NO_MONITOR" and online:
        return True, f"load balancer NO_MONITOR ({summary})"
    return False, f"load balancer {op} ({summary})"
