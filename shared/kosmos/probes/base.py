"""The check plugin contract.

A check probes one target under one monitor's settings and says whether it
passed, why, and how long it took. Plugins are classes registered under the
entry point group ``kosmos.probes`` with the monitor ``type`` they serve as the
name::

    [project.entry-points."kosmos.probes"]
    MYCHECK = "mypackage.checks:MyCheck"

The runner (``kosmos.checker.prober``) owns what every check shares: the hard
timeout (``monitor.timeout``, enforced around ``probe``), the SSRF guard (before
``probe`` when ``probes_address`` is true), latency when the check reports none,
and turning unexpected exceptions into a failed result. A check therefore only
raises ``CheckFailed`` for a verdict it can explain, and may let
``asyncio.CancelledError`` (the timeout) pass through.
"""
from __future__ import annotations

import abc
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from pydantic import BaseModel

from kosmos.contracts.events import CheckSpec, MonitorSpec

if TYPE_CHECKING:
    from kosmos.config import Settings
    from kosmos.probes.reactor import Reactor


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()``), to the microsecond.
    ``round(x, 3)`` formats and parses a string (a few per cent of the checker's CPU)."""
    return round((time.perf_counter() - started) * 1e6) / 1000.0


@dataclass(slots=True)
class Outcome:
    """What a probe found: the verdict, a human reason, and latency if measured. Not
    frozen: a frozen dataclass sets its fields through ``object.__setattr__``, three
    times the cost of making one (the checker makes one per probe)."""

    ok: bool
    reason: str
    latency_ms: float | None = None


class CheckFailed(Exception):
    """A probe's explained failure; ``str(exc)`` is the reason users read."""

    def __init__(self, reason: str, latency_ms: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.latency_ms = latency_ms


@dataclass(slots=True)
class Target:
    """Where a probe goes: the address and port chosen for this slot."""

    address: str | None
    port: int
    spec: CheckSpec = field(repr=False)
    #: Per-target state a check may keep across slots (e.g. the encoded request).
    scratch: dict[str, Any] = field(default_factory=dict, repr=False)
    #: What the prober worked out for this target's probes (its check, timeout, guard's
    #: answer), kept for the batch's later slots.
    plan: Any = field(default=None, repr=False)

    @property
    def monitor(self) -> MonitorSpec:
        return self.spec.monitor


class CheckInconclusive(Exception):
    """The probe could not reach a verdict (e.g. the region's API is down).

    The runner publishes no result for the slot: no verdict is better than a
    wrong one, and the engine treats a silent region as stale, not as down.
    """


class CheckUnavailable(Exception):
    """The check cannot run in this deployment (e.g. ICMP not permitted)."""


class Check(abc.ABC):
    """Base class of every check plugin.

    Instances are built once per warm checker with ``(settings, **deps)`` and
    reused for every probe, so they may cache expensive state (TLS contexts,
    sockets, API connections). ``probe`` runs on the checker's asyncio loop and
    must not block it; wrap blocking client libraries with
    ``asyncio.to_thread``.
    """

    #: The monitor ``type`` this check serves; the entry point name wins if they differ.
    name: ClassVar[str] = ""
    #: False for checks that ask an API instead of connecting to ``Target.address``
    #: (the SSRF guard then does not apply and an unresolved address is fine).
    probes_address: ClassVar[bool] = True
    #: The check's own monitor options (``monitor.options``), a pydantic model the API
    #: and the conductor validate against; None: the check takes no options.
    options_model: ClassVar[type[BaseModel] | None] = None
    #: What one probe costs the checker, in plain TCP probes (sharding budgets by it).
    cost: ClassVar[float] = 1.0
    #: Member types this check serves whatever the monitor's type (e.g. OCTAVIA asks the
    #: load-balancer API about every ``neutron_lbaas_v2`` member).
    member_types: ClassVar[tuple[str, ...]] = ()
    #: Whether checks of the same probe (``kosmos.probes.identity``: project, address,
    #: endpoints, port and monitor settings alike) may share one probe's outcome at an
    #: instant. False for a check whose probe reads anything else of its target (the
    #: member's or monitor's id, say): each of its checks then probes for itself.
    shares_probes: ClassVar[bool] = True

    def __init__(self, settings: "Settings | None" = None, **deps: Any):
        self.settings = settings
        self.deps = deps

    def validate(self, monitor: MonitorSpec) -> None:
        """Raise ``CheckUnavailable`` when this monitor cannot run here (configuration time)."""

    @abc.abstractmethod
    async def probe(self, target: Target) -> Outcome:
        """Probe ``target`` once; return an Outcome or raise ``CheckFailed``."""

    def starts(self, target: Target) -> bool:
        """Whether ``start`` serves ``target`` (a check with a callback path says so)."""
        return False

    def start(self, target: Target, timeout: float, report: Callable[[Outcome | None], None],
              reactor: Reactor) -> Any:
        """Start a probe on the loop's callbacks, without a task: ``report`` is called once
        with the Outcome, or None when ``timeout`` passed first. ``reactor`` is the running
        loop's (``kosmos.probes.reactor``). Returns a handle whose ``abort()`` drops the
        probe unreported. Only called when ``starts(target)``."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release cached resources (called when a batch's loop ends)."""
