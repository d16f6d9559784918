"""What the engine's handlers depend on, passed in (built by ``kosmos.bootstrap``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from kosmos.appliances.registry import Appliances
from kosmos.config import Settings
from kosmos.contracts.common import utcnow
from kosmos.engine.gateway import EngineGateway
from kosmos.engine.lag import ResultsLag
from kosmos.engine.row_locks import RowLocks
from kosmos.engine.served import ZoneListings
from kosmos.engine.steady import SteadyCache
from kosmos.engine.wakeups import Wakeups
from kosmos.engine.watermark import Watermark


@dataclass
class EngineDeps:
    gateway: EngineGateway
    appliances: Appliances
    settings: Settings
    clock: Callable[[], datetime] = field(default=utcnow)
    lag: ResultsLag | None = None
    steady: SteadyCache | None = field(default_factory=SteadyCache)
    # Where the engine sends events of its own (a reconcile's shards, rechecks); None: it
    # does the whole reconcile itself and asks for no rechecks.
    emitter: Any = None
    # Region => emitter to that region's checkers (rechecks); empty: ``emitter``.
    region_emitters: dict[str, Any] = field(default_factory=dict)
    rechecks: Any = None
    wakeups: Wakeups = field(default_factory=Wakeups)
    row_locks: RowLocks = field(default_factory=RowLocks)
    watermark: Watermark = field(default_factory=Watermark)
    # Zone listings a reconcile's shards share on this instance (built from the settings)
    listings: ZoneListings | None = None

    def emitter_for(self, region: str) -> Any:
        """Where an event for ``region``'s checkers goes (None: nowhere)."""
        return self.region_emitters.get(region) or self.emitter

    def __post_init__(self) -> None:
        if self.lag is None:
            self.lag = ResultsLag(self.settings.engine_lag_record_seconds,
                                self.settings.engine_lag_warn_seconds)
        if self.listings is None:
            self.listings = ZoneListings(self.settings.reconcile_listing_max_age)
