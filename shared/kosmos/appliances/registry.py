"""Load appliance drivers by name from the ``kosmos.appliances`` entry points."""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from kosmos.appliances.base import Appliance
from kosmos.config import Settings
from kosmos.errors import ApplianceError
from kosmos.contracts.plugins import entry_points_of

GROUP = "kosmos.appliances"


def available() -> list[str]:
    """Names of every installed driver."""
    return sorted(entry_points_of(GROUP))


@lru_cache(maxsize=32)
def publish_seconds(name: str) -> float:
    """The driver's stated worst-case publish time (``Appliance.publish_s``); 1 s when
    the driver is not installed here."""
    ep = entry_points_of(GROUP).get(name)
    if ep is not None:
        try:
            return float(ep.load().publish_s)
        except Exception:   # noqa: BLE001 - a broken plugin: the default guess
            pass
    return 1.0


def capabilities(name: str, settings: Settings) -> dict[str, Any] | None:
    """What driver ``name`` can serve: ``{"name", "routing", "max_answers", "per_query"}``;
    None when it is not installed or does not load."""
    try:
        driver = load(name, settings)
    except ApplianceError:
        return None
    return {"name": name, "routing": list(driver.routing), "max_answers": driver.max_answers,
            "per_query": driver.per_query}


def describe(settings: Settings) -> list[dict[str, Any]]:
    """Every installed driver's capabilities, the deployment default marked."""
    out = []
    for name in available():
        caps = capabilities(name, settings)
        if caps is not None:
            out.append({**caps, "default": name == settings.appliance})
    return out


def unservable(name: str, routing: str, max_answers: int | None,
               settings: Settings) -> tuple[str, str] | None:
    """(field, why) when appliance ``name`` cannot serve this routing or max_answers."""
    caps = capabilities(name, settings)
    if caps is None:
        return None
    if routing not in caps["routing"]:
        return "routing", (f"appliance {name} cannot serve {routing} routing (it serves "
                           f"{', '.join(caps['routing'])})")
    limit = caps["max_answers"]
    if max_answers is not None and limit is not None and max_answers > limit:
        return "max_answers", (f"appliance {name} serves at most {limit} addresses per answer; "
                               f"max_answers {max_answers} is more")
    return None


def load(name: str, settings: Settings) -> Appliance:
    """A new driver instance registered as ``name``; ApplianceError if none is."""
    ep = entry_points_of(GROUP).get(name)
    if ep is not None:
        try:
            cls = ep.load()
        except Exception as exc:   # a broken plugin must not look like a missing one
            raise ApplianceError(f"appliance driver {name!r} failed to load: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Appliance)):
            raise ApplianceError(f"entry point {name!r} is not an Appliance subclass")
        return cls(settings)
    raise ApplianceError(f"no appliance driver named {name!r} (installed: {', '.join(available())})")


class Appliances:
    """The drivers of one warm instance, built on first use and reused."""

    def __init__(self, settings: Settings, preset: dict[str, Appliance] | None = None):
        self.settings = settings
        self._drivers: dict[str, Appliance] = dict(preset or {})
        self._lock = threading.Lock()

    @property
    def default(self) -> str:
        return self.settings.appliance

    def get(self, name: str | None = None) -> Appliance:
        """The driver ``name`` (the deployment default when None)."""
        key = name or self.default
        with self._lock:
            if key not in self._drivers:
                self._drivers[key] = load(key, self.settings)
            return self._drivers[key]
