"""The composition root: builds each function's dependencies from settings.

Nothing here connects at import time. Each builder runs on a function's first
call and its product is reused while the instance is warm; tests pass their
own parts instead of patching.
"""
from __future__ import annotations

from kosmos.adapters.conductor_client import ConductorClient, HttpTransport
from kosmos.config import Settings, get_settings


def conductor_client(settings: Settings | None = None) -> ConductorClient:
    """A client for the conductor function at ``settings.conductor_url``."""
    s = settings or get_settings()
    return ConductorClient(HttpTransport(s.conductor_url, s.conductor_timeout, s.conductor_token))
