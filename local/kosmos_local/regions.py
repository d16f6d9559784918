"""Region simulation: make one region's checker fail, or cut it off.

Modes, per simulated region:
- ``ok``: results flow unchanged.
- ``fail``: every probe of that region fails (its results reach the engine
  with ``ok: false``), as if the region lost its route to the endpoints; with
  ``addresses``, only probes of those addresses fail (a partial partition).
- ``cut``: the region's results never reach the engine, as if the region were
  partitioned from the rest of the system.

The platform applies the mode where a network fault would act: on the
``kosmos.check.results`` events leaving that region, so the functions run
unmodified.
"""
from __future__ import annotations

import threading
from typing import Iterable

from kosmos.contracts.events import CHECK_RESULTS
from kosmos.errors import NotFound, ValidationError
from kosmos_local.events import Envelope

MODES = ("ok", "fail", "cut")


class RegionModes:
    """The current mode of each simulated region (thread-safe)."""

    def __init__(self, regions: Iterable[str]):
        self._modes = {r: "ok" for r in regions}
        self._addresses: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    @property
    def regions(self) -> list[str]:
        return list(self._modes)

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return dict(self._modes)

    def addresses(self) -> dict[str, list[str]]:
        """Regions whose failure is limited to some addresses."""
        with self._lock:
            return {r: sorted(a) for r, a in self._addresses.items()}

    def get(self, region: str) -> str:
        with self._lock:
            return self._modes.get(region, "ok")

    def set(self, region: str, mode: str, addresses: Iterable[str] | None = None) -> None:
        """Set ``region``'s mode (``addresses`` limits ``fail`` to those probe targets).

        NotFound for an unknown region, ValidationError naming the bad field.
        """
        if mode not in MODES:
            raise ValidationError(f"mode: must be one of {', '.join(MODES)}", field="mode")
        only = None if addresses is None else frozenset(addresses)
        if only is not None and (mode != "fail" or not all(isinstance(a, str) for a in only)):
            raise ValidationError("addresses: a list of addresses, only with mode fail",
                                  field="addresses")
        with self._lock:
            if region not in self._modes:
                raise NotFound(f"no simulated region named {region!r}")
            self._modes[region] = mode
            if only:
                self._addresses[region] = only
            else:
                self._addresses.pop(region, None)

    def apply(self, env: Envelope) -> Envelope | None:
        """What of ``env`` reaches the engine: unchanged, failed, or nothing (cut)."""
        if env.type != CHECK_RESULTS or env.region is None:
            return env
        mode = self.get(env.region)
        if mode == "cut":
            return None
        if mode == "fail":
            with self._lock:
                only = self._addresses.get(env.region)
            data = dict(env.data)
            data["results"] = [
                {**r, "ok": False, "latency_ms": None,
                 "reason": f"simulated failure of region {env.region}"}
                if only is None or r.get("address") in only else r
                for r in data.get("results", [])]
            return env.replace_data(data)
        return env
