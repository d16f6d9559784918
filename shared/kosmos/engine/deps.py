"""What the engine's handlers depend on, passed in (built by ``kosmos.bootstrap``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from kosmos.appliances.registry import Appliances
from kosmos.config import Settings
from kosmos.contracts.common import utcnow
from kosmos.engine.gateway import EngineGateway


@dataclass
class EngineDeps:
    gateway: EngineGateway
    appliances: Appliances
    settings: Settings
    clock: Callable[[], datetime] = field(default=utcnow)
