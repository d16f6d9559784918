"""Structured logs: one JSON object a line, with Kosmos ids as fields.

    log = get_logger(__name__)
    log.info("member went down", extra={"gslb_id": g, "member_id": m, "region": r})

``configure`` is called once per warm function instance (by bootstrap or the
local runner); ``log_format=text`` gives readable lines for humans.
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

# Fields a record may carry in ``extra`` that are copied into the JSON line.
FIELDS = ("gslb_id", "member_id", "monitor_id", "pool_id", "region", "project_id",
          "request_id", "event_id", "event_type", "fqdn", "op", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{k}={getattr(record, k)}" for k in FIELDS
                       if getattr(record, k, None) is not None)
        base = f"{datetime.fromtimestamp(record.created).strftime('%H:%M:%S.%f')[:-3]} " \
               f"{record.levelname:<5} {record.name}: {record.getMessage()}"
        text = f"{base} [{ids}]" if ids else base
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure(level: str = "INFO", fmt: str = "json", stream=None) -> None:
    """Route the ``kosmos`` loggers to ``stream`` (stderr) in the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("kosmos")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def get_logger(name: str) -> logging.Logger:
    """A logger under the ``kosmos`` hierarchy."""
    return logging.getLogger(name if name.startswith("kosmos") else f"kosmos.{name}")
