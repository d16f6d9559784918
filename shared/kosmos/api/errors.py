"""The one place where exceptions become HTTP error responses.

Every error body has the shape of API.md:
``{"error": {"code": 400, "type": "ValidationError", "message": "...", "details": [...]}}``.
Kosmos errors keep their code; anything else is unexpected: it is logged with
its traceback and answered as a bare 500 that reveals nothing.
"""
from __future__ import annotations

import json
import math
from typing import Any

from werkzeug.wrappers import Response

from kosmos.errors import KosmosError, NotAuthenticated, Unavailable
from kosmos.logs import get_logger

log = get_logger(__name__)

JSON = "application/json"


class MethodNotAllowed(KosmosError):
    """The path exists but not with this method (405); ``allowed`` lists the methods."""

    code = 405
    type_name = "MethodNotAllowed"

    def __init__(self, message: str, allowed: list[str]):
        super().__init__(message, details=[{"allowed": sorted(allowed)}])
        self.allowed = sorted(allowed)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (``body`` None gives an empty body, as for 204)."""
    data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    resp = Response(data, status=status, headers=headers)
    if body is not None:
        resp.headers["Content-Type"] = JSON
    return resp


def error_response(exc: BaseException, *, request_id: str | None = None,
                   keystone_url: str | None = None) -> Response:
    """Turn ``exc`` into the response API.md promises; log only the unexpected."""
    if isinstance(exc, KosmosError) and 400 <= exc.code < 500:
        resp = json_response(exc.to_wire(), exc.code)
        if isinstance(exc, MethodNotAllowed):
            resp.headers["Allow"] = ", ".join(exc.allowed)
        if isinstance(exc, NotAuthenticated):
            resp.headers["WWW-Authenticate"] = (
                f'Keystone uri="{keystone_url}"' if keystone_url else "Keystone")
        return resp
    if isinstance(exc, Unavailable):
        retry = exc.retry_after if exc.retry_after and exc.retry_after > 0 else 1.0
        log.warning("dependency unavailable: %s", exc.message,
                    extra={"request_id": request_id, "status": 503})
        resp = json_response(exc.to_wire(), 503)
        resp.headers["Retry-After"] = str(max(1, math.ceil(retry)))
        return resp
    # A KosmosError with a 5xx code other than 503, or a bug: no details out.
    log.error("unexpected error", exc_info=exc, extra={"request_id": request_id, "status": 500})
    return json_response({"error": {"code": 500, "type": "InternalError",
                                    "message": "internal error", "details": []}}, 500)
