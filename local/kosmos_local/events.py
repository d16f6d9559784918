"""CloudEvents 1.0 as the platform delivers them: binary HTTP mode.

An ``Envelope`` is what travels through the local queue: the CloudEvent
attributes and its JSON ``data``. ``to_binary`` gives the headers and body a
broker would POST to a function; ``post`` delivers it through a WSGI test
client and turns anything but a 2xx into ``DeliveryFailed`` (the queue retries).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SOURCE = "//kosmos/local-runner"


class DeliveryFailed(Exception):
    """The function did not acknowledge the event (non-2xx or crash)."""


@dataclass(frozen=True)
class Envelope:
    type: str
    data: dict[str, Any]
    source: str = SOURCE
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    subject: str | None = None
    # Extension attributes (kosmossignature, kosmostype, ...), sent as ce-<name>.
    extensions: dict[str, str] = field(default_factory=dict)

    @property
    def region(self) -> str | None:
        """The region the event concerns, when its data names one."""
        region = self.data.get("region") if isinstance(self.data, dict) else None
        return region if isinstance(region, str) else None

    def replace_data(self, data: dict[str, Any]) -> "Envelope":
        """The same event with other data (its signature, if any, no longer holds)."""
        return Envelope(type=self.type, data=data, source=self.source, id=self.id,
                        time=self.time, subject=self.subject, extensions=dict(self.extensions))

    def signed(self, key: str | None) -> "Envelope":
        """This event signed with ``key`` as Kosmos's functions sign theirs (no key: as is)."""
        if not key:
            return self
        from kosmos.adapters.event_signature import EXTENSION, signature
        return Envelope(type=self.type, data=self.data, source=self.source, id=self.id,
                        time=self.time, subject=self.subject, extensions={
                            **self.extensions,
                            EXTENSION: signature(key, self.type, self.id, self.source, self.data)})


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
    return headers, json.dumps(env.data, default=str).encode()


def post(client: Any, env: Envelope) -> int:
    """Deliver ``env`` to a cloud_event app's WSGI test client; return the status."""
    headers, body = to_binary(env)
    try:
        resp = client.post("/", headers=headers, data=body)
    except Exception as exc:  # the function crashed outside Flask's handler
        raise DeliveryFailed(f"{env.type} crashed the function: {exc!r}") from exc
    if not 200 <= resp.status_code < 300:
        text = resp.get_data(as_text=True)[:300]
        raise DeliveryFailed(f"{env.type} answered HTTP {resp.status_code}: {text}")
    return resp.status_code
