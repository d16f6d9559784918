"""The operation catalogue of ``kosmos.contracts.conductor``, one module per area.

Importing this package registers every operation in ``OPS``.
"""
from __future__ import annotations

from kosmos.conductor.ops import (appliances, breaker, checks, engine, gslbs, health,  # noqa: F401
                                  history, lag, members, metrics, monitors, ping,
                                  pools, quotas, status, webhooks, dead_letters)
from kosmos.conductor.ops.common import OPS, OpContext

__all__ = ["OPS", "OpContext"]
