"""Installed plugins by entry point group (``kosmos.probes``, ``kosmos.appliances``).

Finding them reads every installed distribution's metadata from disk (a
quarter of a millisecond per distribution), and a GSLB or monitor create asks
on every call, so the answer is kept per group and import path: a plugin
installed while a process runs is found once ``sys.path`` changes, or by the
next instance.
"""
from __future__ import annotations

import sys
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points


def entry_points_of(group: str) -> dict[str, EntryPoint]:
    """The group's entry points by name (not imported yet)."""
    return dict(_scan(group, tuple(sys.path)))


@lru_cache(maxsize=16)
def _scan(group: str, path: tuple[str, ...]) -> tuple[tuple[str, EntryPoint], ...]:
    return tuple((ep.name, ep) for ep in entry_points(group=group))
