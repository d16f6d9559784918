"""Finding check plugins: the ``kosmos.checks`` entry point group.

Every check, the built-in ones included, is a class named by an entry point;
its name is the monitor ``type`` it serves. A plugin that fails to import is
logged and left out rather than taking every other check down with it.
"""
from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from kosmos.checks.base import Check
from kosmos.logs import get_logger

GROUP = "kosmos.checks"
log = get_logger(__name__)


def available() -> dict[str, EntryPoint]:
    """Installed check entry points by name (not imported yet)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load_check_class(name: str) -> type[Check]:
    """Import the check class registered as ``name``; KeyError if none is."""
    ep = available()[name]
    cls = ep.load()
    if not (isinstance(cls, type) and issubclass(cls, Check)):
        raise TypeError(f"entry point {GROUP}:{name} is not a kosmos.checks.base.Check")
    return cls


def load_checks(settings: Any = None, **deps: Any) -> dict[str, Check]:
    """One instance of every installed check, keyed by monitor type."""
    checks: dict[str, Check] = {}
    for name in sorted(available()):
        try:
            checks[name] = load_check_class(name)(settings, **deps)
        except Exception:  # noqa: BLE001 - one broken plugin must not disable the others
            log.exception("check plugin %s failed to load", name)
    return checks
