"""Readable log lines for a person watching the runner.

``ResultsLog`` notes when a region's probe of a member flips between pass and
fail (from the results events crossing the platform). ``HistoryWatch``
follows the history and logs each change of a member's cross-region status
(the engine's verdict) and of a published answer.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from kosmos.contracts.events import CHECK_RESULTS
from kosmos_local.events import Envelope
from kosmos.logs import get_logger

log = get_logger("kosmos.local.watch")


class ResultsLog:
    """Log a line when a (region, member, monitor) probe changes between ok and failing."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str, str], bool] = {}
        self._lock = threading.Lock()

    def observe(self, env: Envelope, note: str = "") -> None:
        if env.type != CHECK_RESULTS:
            return
        region = env.region or "?"
        for r in env.data.get("results", []):
            key = (region, r.get("member_id", ""), r.get("monitor_id", ""))
            ok = bool(r.get("ok"))
            with self._lock:
                before = self._last.get(key)
                self._last[key] = ok
            if before is None or before != ok:
                log.info("probe %s from %s: %s (%s)%s", r.get("address") or r.get("member_id"),
                         region, "ok" if ok else "FAIL", r.get("reason", ""), note,
                         extra={"region": region, "member_id": r.get("member_id")})


Call = Callable[[str, dict[str, Any]], Any]


class HistoryWatch:
    """Follow the history (``history.list`` by ``recorded_since``) and log each verdict
    and answer change as it is stored.

    One indexed query per poll whatever the number of GSLBs. A transaction may
    commit a little after the time it stamps on its entries, so each poll looks
    ``overlap`` seconds back and skips entries already logged. Every entry is read
    again at each poll inside that window (twice a second, by the runner), so it is
    short: at 30 s and a poll each half second, a failover of a few hundred names had the
    conductor serving about a thousand history records a second to this log for half a
    minute.
    """

    def __init__(self, call: Call, overlap: float = 3.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.call = call
        self.overlap = timedelta(seconds=overlap)
        self.clock = clock
        self._since = clock()
        self._seen: dict[str, datetime] = {}
        self._fqdn: dict[str, str] = {}

    def poll(self) -> None:
        started = self.clock()
        if not log.isEnabledFor(logging.INFO):
            # Nobody would see the lines (the runner's --log-level is above INFO): no reads.
            # During a failover they were a tenth of the conductor's CPU.
            self._since = started
            return
        since = self._since - self.overlap
        entries, marker = [], None
        while True:
            page = self.call("history.list", {"recorded_since": since.isoformat(), "limit": 500,
                                              **({"marker": marker} if marker else {})})
            entries += [e for e in page.get("items", []) if e["id"] not in self._seen]
            marker = page.get("next_marker")
            if not marker:
                break
        for e in reversed(entries):   # oldest first
            self._seen[e["id"]] = started
            self._log(e)
        self._since = started
        self._seen = {k: t for k, t in self._seen.items() if t >= started - 2 * self.overlap}

    def _log(self, e: dict[str, Any]) -> None:
        if e.get("subject_type") == "member":
            log.info("verdict: member %s %s -> %s (%s)", e.get("subject_id"), e.get("from") or "-",
                     e.get("to"), e.get("reason", ""),
                     extra={"member_id": e.get("subject_id"), "gslb_id": e.get("gslb_id")})
        elif e.get("subject_type") == "gslb":
            gslb_id = e.get("gslb_id") or e.get("subject_id")
            log.info("answer %s: %s -> %s (%s)", self._name(gslb_id), e.get("from") or "-",
                     e.get("to"), e.get("reason", ""), extra={"gslb_id": gslb_id})

    def _name(self, gslb_id: str) -> str:
        if gslb_id not in self._fqdn:
            try:
                self._fqdn[gslb_id] = self.call("gslb.get", {"id": gslb_id}).get("fqdn") or gslb_id
            except Exception:   # deleted meanwhile, or the conductor busy: the id will do
                return gslb_id
        return self._fqdn[gslb_id]
