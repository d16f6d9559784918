"""The operation catalogue of ``kosmos.contracts.conductor``, one module per area.

Importing this package registers every operation in ``OPS``.
"""
from __future__ import annotations

from kosmos.conductor.ops import gslbs, members, monitors, pools  # noqa: F401
from kosmos.conductor.ops.common import OPS, OpContext

__all__ = ["OPS", "OpContext"]
