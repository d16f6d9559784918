"""Signed events: only Kosmos's own functions can send the events that move DNS.

Brokers accept events from anyone who can reach their ingress. When
``event_signing_key`` is set (Terraform generates one), every event a Kosmos
function emits carries ``kosmossignature``, an HMAC-SHA256 of its type, id,
source and data in canonical JSON, and the checker and the engine act only on
events whose signature holds. A signed event's body is its data in that canonical
form (``canonical_body``), so a receiver checks the signature on the bytes it got
and writes the data again only when a broker rewrote them. A forged
``kosmos.check.results`` (every member of a region "down") or ``kosmos.check.batch``
(probes aimed anywhere) is logged and dropped.

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


def canonical_body(data: Any) -> bytes:
    """``data`` as canonical JSON (sorted keys, no spaces, UTF-8): what a signed event
    carries as its body, so that its receiver can check the signature on those bytes."""
    return _canonical(data).encode()


def signature(key: str, event_type: str, event_id: str, source: str, data: Any) -> str:
    """The hex HMAC-SHA256 of the event's type, id, source and data (canonical JSON)."""
    return signed_body(key, event_type, event_id, source, data)[1]


def signed_body(key: str, event_type: str, event_id: str, source: str,
                data: Any) -> tuple[bytes, str]:
    """What a signed event carries: its body (``canonical_body``) and its signature."""
    body = canonical_body(data)
    return body, body_signature(key, event_type, event_id, source, body)


def body_signature(key: str, event_type: str, event_id: str, source: str, body: bytes) -> str:
    """``signature`` of an event whose data, written as ``canonical_body``, is ``body``:
    the canonical JSON of ``[type, id, source, data]`` is that of ``[type, id, source]``
    with the body as its last item, so the data need not be written again."""
    mac = hmac.new(key.encode(), _canonical([event_type, event_id, source])[:-1].encode() + b",",
                   hashlib.sha256)
    mac.update(body)
    mac.update(b"]")
    return mac.hexdigest()


def holds(key: str, event_type: str, event_id: str, source: str, data: Any,
          sent: str | None, body: bytes | None = None) -> bool:
    """Whether ``sent`` is the signature of this event under ``key``.

    ``body``: the bytes the event's data came in, when known. A sender writes them as
    ``canonical_body``, so they are checked first, as they are. Writing a batch of
    thousands of results again in canonical form took a tenth of the engine's CPU
    and more of the checker's. Data that a broker wrote again on the way (another key
    order or spacing) is written in canonical form and checked again.
    """
    if not sent:
        return False
    if body is not None and hmac.compare_digest(
            body_signature(key, event_type, event_id, source, body), str(sent)):
        return True
    try:
        want = signature(key, event_type, event_id, source, data)
    except ValueError:   # NaN or infinity in the data: not something we signed
        return False
    return hmac.compare_digest(want, str(sent))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
