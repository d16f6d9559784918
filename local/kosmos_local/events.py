"""CloudEvents 1.0 as the platform delivers them: binary HTTP mode.

An ``Envelope`` is what travels through the local queue: the CloudEvent
attributes and its JSON ``data``. ``to_binary`` gives the headers and body a
broker would POST to a function; ``post`` delivers it through a WSGI test
client and turns anything but a 2xx into ``DeliveryFailed`` (the queue retries).
"""
from __future__ import annotations

import html
import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any

SOURCE = "//kosmos/local-runner"


class DeliveryFailed(Exception):
    """The function did not acknowledge the event (non-2xx or crash)."""


_HTML_MESSAGE = re.compile(r"<p>(.*?)</p>", re.S)


def answer_text(body: str, limit: int = 300) -> str:
    """A function's refusal as one line for the log and the dead letter: an HTML error
    page (werkzeug's, as a function's 503 is) by its message, whitespace runs and
    unprintable characters made one space, cut at ``limit``. Passed on as it was, the
    page spread every retry warning of the runner's queue over six lines of the log."""
    found = _HTML_MESSAGE.search(body) if "<html" in body[:200].lower() else None
    text = html.unescape(found.group(1)) if found else body
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:limit]


def json_object(raw: bytes) -> dict[str, Any] | None:
    """``raw`` parsed, when it is a JSON object; else None."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class Envelope:
    """One CloudEvent: its attributes and JSON ``data``.

    An event taken in by the broker keeps its body as it came (``raw``) and is
    forwarded byte for byte, as a broker forwards what it does not read; its
    ``data`` is parsed only when something here reads it (the results log, a
    simulated region, a dead letter's record). At 10,000 GSLBs the check batches
    alone were megabytes a second, and parsing and writing each one again took
    most of the emulator's interpreter, so batches reached their checkers after
    their window and were skipped.
    """

    __slots__ = ("type", "source", "id", "time", "subject", "extensions", "raw", "_data")

    def __init__(self, type: str, data: dict[str, Any] | None = None, source: str = SOURCE,
                 id: str | None = None, time: str | None = None, subject: str | None = None,
                 extensions: dict[str, str] | None = None, raw: bytes | None = None):
        self.type = type
        self.source = source
        self.id = id or str(uuid.uuid4())
        self.time = time or datetime.now(timezone.utc).isoformat()
        self.subject = subject
        # Extension attributes (kosmossignature, kosmostype, ...), sent as ce-<name>.
        self.extensions = dict(extensions or {})
        self.raw = raw   # given with ``data``: the same event as it came, sent on as is
        self._data = data if data is not None or raw is not None else {}

    def __repr__(self) -> str:
        return f"Envelope(type={self.type!r}, id={self.id!r}, subject={self.subject!r})"

    @property
    def data(self) -> dict[str, Any]:
        """The event's data (parsed from ``raw`` on first use; a body that is not a JSON
        object reads as an empty one: the function it goes to refuses it)."""
        if self._data is None:
            self._data = json_object(self.raw or b"") or {}
        return self._data

    @property
    def body(self) -> bytes:
        """The data as sent on: the body as it came, or the data written as JSON."""
        if self.raw is not None:
            return self.raw
        return json.dumps(self._data, default=str).encode()

    @property
    def region(self) -> str | None:
        """The region the event concerns, when its data names one. A body not parsed
        here is routed by its subject, where Kosmos's emitters name the region."""
        if self._data is None and self.raw is not None:
            return self.subject
        region = self.data.get("region")
        return region if isinstance(region, str) else None

    def replace_data(self, data: dict[str, Any]) -> "Envelope":
        """The same event with other data (its signature, if any, no longer holds)."""
        return Envelope(type=self.type, data=data, source=self.source, id=self.id,
                        time=self.time, subject=self.subject, extensions=dict(self.extensions))

    def signed(self, key: str | None) -> "Envelope":
        """This event signed with ``key`` as Kosmos's functions sign theirs (no key: as
        is): its body the canonical JSON of its data, which the signature covers."""
        if not key:
            return self
        from kosmos.adapters.event_signature import EXTENSION, signed_body
        body, signed = signed_body(key, self.type, self.id, self.source, self.data)
        return Envelope(type=self.type, data=self.data, source=self.source, id=self.id,
                        time=self.time, subject=self.subject, raw=body,
                        extensions={**self.extensions, EXTENSION: signed})


def to_binary(env: Envelope) -> tuple[dict[str, str], bytes]:
    """Headers and body of ``env`` in CloudEvents binary content mode."""
    headers = {
        "ce-specversion": "1.0",
        "ce-id": env.id,
        "ce-source": env.source,
        "ce-type": env.type,
        "ce-time": env.time,
        "Content-Type": "application/json",
    }
    if env.subject:
        headers["ce-subject"] = env.subject
    for name, value in env.extensions.items():
        headers[f"ce-{name}"] = value
    return headers, env.body


def post(client: Any, env: Envelope) -> int:
    """Deliver ``env`` to a cloud_event app's WSGI test client; return the status."""
    headers, body = to_binary(env)
    try:
        resp = client.post("/", headers=headers, data=body)
    except Exception as exc:  # the function crashed outside Flask's handler
        raise DeliveryFailed(f"{env.type} crashed the function: {exc!r}") from exc
    if not 200 <= resp.status_code < 300:
        text = answer_text(resp.get_data(as_text=True))
        raise DeliveryFailed(f"{env.type} answered HTTP {resp.status_code}: {text}")
    return resp.status_code
