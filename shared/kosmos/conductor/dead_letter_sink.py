"""The platform's dead-letter sink: a CloudEvent the broker gave up on, in, one row out.

Brokers cannot send the conductor's token, so this one path takes events
without it; what it stores is validated and bounded (``contracts.dead_letters``),
and the table keeps the newest ten thousand. Binary mode (``ce-*`` headers, the
data as the body) and structured mode (``application/cloudevents+json``) are
both taken; Knative's ``knativeerrordest``, ``knativeerrorcode`` and
``knativeerrordata`` (base64) say where it was going and what came back.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Mapping

from flask import Request

from kosmos.contracts.common import nul_path
from kosmos.contracts.conductor import CallContext
from kosmos.contracts.dead_letters import DeadLetter, bounded_data
from kosmos.contracts.operations import DEAD_LETTER_RECORD
from kosmos.errors import ValidationError, from_pydantic

#: The largest body taken (an event's data is kept up to 64 KiB; more is noted as cut).
MAX_BODY = 1024 * 1024


def letter_from(request: Request) -> DeadLetter:
    """The dead letter a sink request carries; ValidationError naming what is wrong."""
    if (request.content_length or 0) > MAX_BODY:
        raise ValidationError(f"the event is larger than {MAX_BODY} bytes", field="body")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY:
        raise ValidationError(f"the event is larger than {MAX_BODY} bytes", field="body")
    if (request.mimetype or "").startswith("application/cloudevents"):
        event = _json(raw, "body")
        if not isinstance(event, dict):
            raise ValidationError("a structured CloudEvent is a JSON object", field="body")
        attrs: Mapping[str, Any] = event
        data = event.get("data")
        size = len(json.dumps(data)) if data is not None else 0
    else:
        attrs = {k[3:].lower(): v for k, v in request.headers.items() if k.lower().startswith("ce-")}
        data = _json(raw, "body") if raw and request.mimetype == "application/json" else (
            raw.decode("utf-8", "replace") if raw else None)
        size = len(raw)
    fields = {"event_id": attrs.get("id"), "event_type": attrs.get("type"),
              "source": attrs.get("source") or "", "subject": attrs.get("subject"),
              "event_time": attrs.get("time"), "destination": attrs.get("knativeerrordest"),
              "error_code": _code(attrs.get("knativeerrorcode")),
              "error": _text(attrs.get("knativeerrordata")),
              "data": bounded_data(data, size)}
    where = nul_path(fields)
    if where:
        raise ValidationError(f"{where}: must not contain a NUL character", field=where)
    try:
        return DeadLetter.model_validate(fields)
    except Exception as exc:   # pydantic's: named by field
        if hasattr(exc, "errors"):
            raise from_pydantic(exc) from None
        raise


def envelope_for(letter: DeadLetter, request_id: str | None) -> dict[str, Any]:
    """The conductor call that records ``letter``."""
    return {"op": DEAD_LETTER_RECORD.name,
            "context": CallContext.system(request_id=request_id).model_dump(mode="json"),
            "args": {"letters": [letter.model_dump(mode="json")]}}


def _json(raw: bytes, field: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ValidationError("not JSON", field=field) from None


def _code(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError("not an HTTP status", field="knativeerrorcode") from None


def _text(value: Any) -> str | None:
    """Knative's knativeerrordata is base64 of the answer's start; plain text is kept as is."""
    if not value:
        return None
    try:
        text = base64.b64decode(str(value), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        text = str(value)
    return text[:2048]
