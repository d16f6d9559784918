"""The checker function: ``kosmos.check.tick`` (cron) and ``kosmos.check.batch`` (queue).

A tick publishes batches for its region; a batch runs its probes over the
window and publishes ``kosmos.check.results`` (see kosmos.checker).
``INSTANCE`` belongs to this module, so a host that loads one copy per region
(the local runner) can give each copy its own service with ``INSTANCE.use``.
"""
from __future__ import annotations

import functions_framework

from kosmos.checker.entry import LazyChecker

INSTANCE = LazyChecker()


@functions_framework.cloud_event
def kosmos_checker(event) -> None:
    """Handle one event; dependencies are built on the first call, kept while warm."""
    INSTANCE.respond(event)
