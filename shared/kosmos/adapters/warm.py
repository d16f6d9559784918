"""One holder of what a warm function instance keeps, for all four functions.

The object (the api's app, the conductor's handler, the checker's or the
engine's service) is built from settings on first use, never at import
time, and kept while the instance is warm. Tests and the local runner
``use`` one of their own; ``use(None)`` makes the next use build afresh.
"""
from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

from kosmos.config import Settings

T = TypeVar("T")


class WarmInstance(Generic[T]):
    def __init__(self, build: Callable[[Settings], T]):
        self._build = build
        self._held: T | None = None
        self._lock = threading.Lock()

    def use(self, held: T | None) -> None:
        """Serve with ``held`` from now on (None: build from settings on next use)."""
        with self._lock:
            self._held = held

    @property
    def held(self) -> T | None:
        """What is held now, without building it."""
        return self._held

    def get(self, settings: Settings | None = None) -> T:
        """The held object, built on the first call (logs configured first)."""
        if self._held is not None:
            return self._held
        with self._lock:
            if self._held is None:
                from kosmos.config import get_settings
                from kosmos.logs import configure

                s = settings or get_settings()
                configure(s.log_level, s.log_format)
                self._held = self._build(s)
            return self._held
