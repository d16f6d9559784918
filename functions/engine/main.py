"""The engine function: ``kosmos.check.results`` (checker) and ``kosmos.engine.reconcile`` (cron).

Decides which members serve, makes the appliance serve exactly that, records
state and history through the conductor (see kosmos.engine). ``INSTANCE``
belongs to this module so a host (the local runner) can ``INSTANCE.use`` its own.
"""
from __future__ import annotations

import functions_framework

from kosmos.engine.entry import LazyEngine

INSTANCE = LazyEngine()


@functions_framework.cloud_event
def kosmos_engine(event) -> None:
    """Handle one event; dependencies are built on the first call, kept while warm."""
    INSTANCE.respond(event)
