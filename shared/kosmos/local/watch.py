"""Readable log lines for a person watching the runner.

``ResultsLog`` notes when a region's probe of a member flips between pass and
fail (from the results events crossing the platform). ``AnswerWatch`` polls
the conductor's GSLB trees and logs each change of a member's cross-region
status (the engine's verdict) and of a published answer.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from kosmos.contracts.events import CHECK_RESULTS
from kosmos.local.events import Envelope
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


class AnswerWatch:
    """Poll ``gslb.trees`` and log member status and answer changes."""

    def __init__(self, call: Call):
        self.call = call
        self._answers: dict[str, list[str]] = {}
        self._status: dict[str, str] = {}

    def poll(self) -> None:
        marker = None
        while True:
            page = self.call("gslb.trees", {"limit": 100, **({"marker": marker} if marker else {})})
            items = page.get("items", []) if isinstance(page, dict) else list(page or [])
            for tree in items:
                self._see(tree)
            marker = page.get("next_marker") if isinstance(page, dict) else None
            if not marker:
                return

    def _see(self, tree: dict[str, Any]) -> None:
        gslb = tree.get("gslb", {})
        for pool in tree.get("pools", []):
            for m in pool.get("members", []):
                status = m.get("operating_status", "")
                before = self._status.get(m["id"])
                self._status[m["id"]] = status
                if before is not None and before != status:
                    log.info("verdict: member %s %s -> %s (%s)", m.get("address") or m["id"],
                             before, status, m.get("status_reason") or "",
                             extra={"member_id": m["id"], "gslb_id": gslb.get("id")})
        answers = sorted(gslb.get("answers") or [])
        before = self._answers.get(gslb.get("id", ""))
        self._answers[gslb.get("id", "")] = answers
        if before != answers and (before is not None or answers):
            log.info("answer %s: %s -> %s (%s)", gslb.get("fqdn"),
                     ",".join(before) if before else "-", ",".join(answers) or "-",
                     gslb.get("answer_reason") or "",
                     extra={"gslb_id": gslb.get("id"), "fqdn": gslb.get("fqdn")})
