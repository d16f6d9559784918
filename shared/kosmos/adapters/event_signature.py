"""Signed events: only Kosmos's own functions can send the events that move DNS.

Brokers accept events from anyone who can reach their ingress. When
``event_signing_key`` is set (Terraform generates one), every event a Kosmos
function emits carries ``kosmossignature``, an HMAC-SHA256 of its type, id,
source and data in canonical JSON, and the checker and the engine act only on
events whose signature holds. A forged ``kosmos.check.results`` (every member of
a region "down") or ``kosmos.check.batch`` (probes aimed anywhere) is logged
and dropped.

The platform's own pings (``dev.knative.sources.ping``: ticks and the reconcile
cron) cannot be signed; they carry nothing but their schedule, so a forged one
only asks for a tick's probing or a reconcile sooner.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

#: The CloudEvents extension attribute carrying the signature (lower-case alphanumerics).
EXTENSION = "kosmossignature"


def signature(key: str, event_type: str, event_id: str, source: str, data: Any) -> str:
    """The hex HMAC-SHA256 of the event's type, id, source and data (canonical JSON)."""
    body = json.dumps([event_type, event_id, source, data], sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()


def holds(key: str, event_type: str, event_id: str, source: str, data: Any,
          sent: str | None) -> bool:
    """Whether ``sent`` is the signature of this event under ``key``."""
    if not sent:
        return False
    try:
        want = signature(key, event_type, event_id, source, data)
    except ValueError:   # NaN or infinity in the data: not something we signed
        return False
    return hmac.compare_digest(want, str(sent))
