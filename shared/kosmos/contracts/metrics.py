"""Metrics: the series Kosmos keeps, and how function instances report them.

Serverless function instances are short-lived and many; a Prometheus scrape
of one instance would see a fraction of the work and lose it when the instance
goes. So every instance adds its counts to deployment-wide series in the
conductor's database (``metrics.add``), and ``GET /metrics`` on the api serves
them (with gauges read from the stored state) in the Prometheus text format,
which Prometheus scrapes and an OpenTelemetry collector reads with its
``prometheus`` receiver. Changes the conductor stores are counted in the same
transaction; an instance's own observations are buffered (``MetricsBuffer``)
and flushed every few seconds, so an instance that dies loses at most that.
"""
from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable, Literal

from pydantic import Field, field_validator

from kosmos.contracts.common import RecordModel, StrictModel

# name → (type, help). Counters end in _total or are _sum/_count pairs of a summary.
SERIES: dict[str, tuple[str, str]] = {
    "kosmos_answer_changes_total": ("counter", "Published answers that changed"),
    "kosmos_publish_errors_total": ("counter", "Answers an appliance failed to take"),
    "kosmos_breaker_holds_total": ("counter", "Answer changes held by the circuit breaker"),
    "kosmos_publish_seconds_sum": ("counter", "Time spent pushing answers to appliances"),
    "kosmos_publish_seconds_count": ("counter", "Pushes to appliances (one per zone and cycle)"),
    "kosmos_probes_total": ("counter", "Probes completed, by region"),
    "kosmos_probes_failed_total": ("counter", "Probes that failed, by region"),
    "kosmos_probes_shared_total": ("counter", "Results taken from a probe run for another "
                                              "check of the same probe, by region"),
    "kosmos_slots_dropped_total": ("counter", "Probe slots dropped because a checker fell "
                                              "behind, by region"),
    "kosmos_checker_loop_lag_seconds": ("gauge", "Worst event-loop lag of a region's last "
                                                 "batch"),
    "kosmos_conductor_call_seconds_sum": ("counter", "Time spent in conductor calls, by "
                                                     "calling function"),
    "kosmos_conductor_call_seconds_count": ("counter", "Conductor calls, by calling function"),
    "kosmos_engine_rereads_total": ("counter", "Writes another engine instance got to first, "
                                               "after which the engine read the state again, "
                                               "by event"),
}

NAME = r"^kosmos_[a-z_]{1,56}$"
_LABEL = re.compile(r'^(?:[a-z_]{1,32}="[^"\\\n\x00-\x1f]{0,100}")?$')


def labels(**values: str) -> str:
    """Canonical label text: ``region="RegionOne"`` (sorted, escaped characters refused)."""
    text = ",".join(f'{k}="{v}"' for k, v in sorted(values.items()))
    if any('"' in v or "\\" in v or "\n" in v for v in values.values()):
        raise ValueError("label values may not contain quotes, backslashes or newlines")
    return text


class MetricUpdate(StrictModel):
    name: str = Field(..., pattern=NAME)
    labels: str = Field("", max_length=255)
    kind: Literal["counter", "gauge"] = "counter"
    value: float = Field(..., ge=-1e15, le=1e15)

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: str) -> str:
        if v and not all(_LABEL.match(part) for part in v.split(",")):
            raise ValueError('must be name="value" pairs, comma-separated')
        return v


class MetricsBuffer:
    """An instance's observations, added up until flushed (at most every ``interval`` s)."""

    def __init__(self, interval: float = 10.0, monotonic: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.monotonic = monotonic
        self._counters: dict[tuple[str, str], float] = {}
        self._gauges: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._last = monotonic()

    def add(self, name: str, value: float = 1.0, **label_values: str) -> None:
        key = (name, labels(**label_values))
        with self._lock:
            self._counters[key] = self._counters.get(key, 0.0) + value

    def set(self, name: str, value: float, **label_values: str) -> None:
        with self._lock:
            self._gauges[(name, labels(**label_values))] = value

    def take(self, force: bool = False) -> list[dict[str, Any]]:
        """The updates to send when a flush is due (or ``force``), emptying the buffer."""
        with self._lock:
            now = self.monotonic()
            if not force and now - self._last < self.interval:
                return []
            self._last = now
            out = [{"name": n, "labels": lb, "kind": "counter", "value": v}
                   for (n, lb), v in self._counters.items() if v]
            out += [{"name": n, "labels": lb, "kind": "gauge", "value": v}
                    for (n, lb), v in self._gauges.items()]
            self._counters.clear()
            self._gauges.clear()
            return out

    def give_back(self, updates: list[dict[str, Any]]) -> None:
        """Updates whose flush failed: counted again with the next one."""
        for u in updates:
            if u["kind"] == "counter":
                key = (u["name"], u["labels"])
                with self._lock:
                    self._counters[key] = self._counters.get(key, 0.0) + u["value"]


def flush(buffer: MetricsBuffer, call: Callable[[str, dict[str, Any]], Any],
          force: bool = False) -> int:
    """Send what ``buffer`` holds when due; a failure keeps the counts for next time."""
    updates = buffer.take(force)
    if not updates:
        return 0
    try:
        call("metrics.add", {"updates": updates})
    except Exception:   # noqa: BLE001 - metrics never fail the work they measure
        buffer.give_back(updates)
        return 0
    return len(updates)


class Series(RecordModel):
    """One series as ``metrics.read`` answers it."""

    name: str
    labels: str = ""
    kind: str
    value: float
    help: str = ""


class MetricsRead(RecordModel):
    series: list[Series] = Field(default_factory=list)


def prometheus_text(series: list[Series] | list[dict[str, Any]]) -> str:
    """The Prometheus text exposition (format 0.0.4) of ``metrics.read``'s series."""
    lines: list[str] = []
    last = None
    for s in map(Series.model_validate, series):
        if s.name != last:
            last = s.name
            kind = SERIES.get(last, (s.kind, ""))[0]
            if s.help:
                lines.append(f"# HELP {last} {s.help}")
            lines.append(f"# TYPE {last} {'counter' if kind == 'counter' else 'gauge'}")
        label = "{" + s.labels + "}" if s.labels else ""
        lines.append(f"{last}{label} {float(s.value)!r}")
    return "\n".join(lines) + "\n"
