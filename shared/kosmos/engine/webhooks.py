"""Send what the outbox owes: webhook deliveries as signed CloudEvents.

Like the confirmation pass, sending costs no event of its own: after each
event it handles, an engine instance sends when it may have something to send
(it just stored a change, or the earliest waiting retry is due, as the
conductor said last time). Each pass claims at most ``settings.webhook_batch``
due deliveries (a lease: a sender that dies leaves them due again), POSTs them
side by side and reports each outcome; the conductor schedules retries. A
failure here is logged and never fails the event it follows.

Each request: ``POST url`` with the CloudEvent as ``application/cloudevents+json``
and ``X-Kosmos-Signature: sha256=<hex HMAC-SHA256 of the body with the
secret>``; no redirects followed; the URL's host is resolved and every address
it gives is checked by the probe guard before connecting.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Callable
from urllib.parse import urlsplit

import requests

from kosmos.contracts.results import DueDelivery
from kosmos.probes.guard import Guard
from kosmos.errors import KosmosError
from kosmos.logs import get_logger

log = get_logger(__name__)

SIGNATURE = "X-Kosmos-Signature"


def signature(secret: str, body: bytes) -> str:
    """The ``X-Kosmos-Signature`` value of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _refusal(guard: Guard, url: str) -> str | None:
    """Why the guard refuses the URL's host (every address it resolves to), else None."""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https"
                                                                     else 80),
                                   proto=socket.IPPROTO_TCP)
    except OSError as exc:
        return f"cannot resolve {parts.hostname}: {exc.strerror or exc}"
    for info in infos:
        why = guard.refusal(str(info[4][0]))
        if why:
            return f"refused by the address guard: {why}"
    return None


class WebhookSender:
    """Delivery passes of one warm engine instance."""

    def __init__(self, gateway: Any, settings: Any, clock: Callable[[], datetime]):
        self.gateway = gateway
        self.settings = settings
        self.clock = clock
        self.guard = Guard.from_settings(settings)
        self._next_due: datetime | None = clock()   # unknown: look once
        self._lock = threading.Lock()

    def maybe(self, stored: bool) -> dict[str, Any]:
        """A pass when something may be owed: ``stored`` (this event stored a change) or
        a retry is due. {} when none ran."""
        with self._lock:
            now = self.clock()
            if not stored and (self._next_due is None or now < self._next_due):
                return {}
            self._next_due = None
        try:
            return self.send_due()
        except KosmosError as exc:
            self._next_due = self.clock()   # try again after the next event
            log.warning("webhook pass failed; retried after the next event",
                        extra={"status": exc.message})
            return {}

    def send_due(self) -> dict[str, Any]:
        items, next_due = self.gateway.webhooks_due(self.settings.webhook_batch,
                                                    lease_s=4 * self.settings.webhook_timeout + 10)
        if items:
            with ThreadPoolExecutor(min(8, len(items))) as pool:
                outcomes = list(pool.map(self._send, items))
            next_due = self.gateway.webhooks_report(outcomes)
        else:
            outcomes = []
        self._next_due = datetime.fromisoformat(next_due) if next_due else None
        sent = sum(1 for o in outcomes if o["ok"])
        if outcomes:
            log.info("webhooks: %d delivered, %d to retry", sent, len(outcomes) - sent)
        return {"webhooks_delivered": sent, "webhooks_failed": len(outcomes) - sent} if outcomes else {}

    def _send(self, item: DueDelivery) -> dict[str, Any]:
        url = item.url
        why = _refusal(self.guard, url)
        if why:
            return {"id": item.id, "ok": False, "error": why[:1024]}
        body = json.dumps(item.body, separators=(",", ":"), sort_keys=True).encode()
        headers = {"Content-Type": "application/cloudevents+json",
                   SIGNATURE: signature(item.secret, body),
                   "User-Agent": "Kosmos-Webhook/1"}
        try:
            resp = requests.post(url, data=body, headers=headers, allow_redirects=False,
                                     timeout=self.settings.webhook_timeout)
        except requests.RequestException as exc:
            return {"id": item.id, "ok": False, "error": f"{exc.__class__.__name__}"}
        ok = 200 <= resp.status_code < 300
        return {"id": item.id, "ok": ok, "status_code": resp.status_code,
                "error": None if ok else f"HTTP {resp.status_code}"}
