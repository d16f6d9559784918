"""Kosmos exceptions.

Every error that crosses a function boundary is one of these; third-party
exceptions are translated at the adapter edge (``raise X(...) from exc``).

    KosmosError
    ├── ValidationError      bad input; ``field`` names what is wrong   (400)
    ├── NotAuthenticated     missing/invalid/expired token              (401)
    ├── Forbidden            role does not allow the action             (403)
    ├── NotFound             absent, or owned by another project        (404)
    ├── Conflict             name/fqdn taken, in use, stale version     (409)
    │   └── StaleVersion     optimistic concurrency check failed        (409)
    ├── PayloadTooLarge      request body over the limit                (413)
    ├── UnsupportedMediaType body is not JSON                           (415)
    └── Unavailable          a dependency is down; retryable            (503)
        └── ApplianceError   the GSLB appliance refused or is down      (503)

``to_wire``/``from_wire`` carry an error across HTTP between functions so the
caller re-raises the same type.
"""
from __future__ import annotations

from typing import Any


class KosmosError(Exception):
    """Base of every Kosmos error."""

    code = 500
    type_name = "KosmosError"
    retryable = False

    def __init__(self, message: str = "", *, field: str | None = None,
                 details: list[Any] | None = None, retry_after: float | None = None):
        super().__init__(message or self.type_name)
        self.message = message or self.type_name
        self.field = field
        self.details = list(details or [])
        self.retry_after = retry_after

    def to_wire(self) -> dict[str, Any]:
        """The JSON error body of API.md: ``{"error": {...}}``."""
        body: dict[str, Any] = {
            "code": self.code,
            "type": self.type_name,
            "message": self.message,
            "details": self.details,
        }
        if self.field is not None:
            body["field"] = self.field
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return {"error": body}


class ValidationError(KosmosError):
    code = 400
    type_name = "ValidationError"


class NotAuthenticated(KosmosError):
    code = 401
    type_name = "NotAuthenticated"


class Forbidden(KosmosError):
    code = 403
    type_name = "Forbidden"


class QuotaExceeded(Forbidden):
    """A create would take the project over its quota of that resource."""

    type_name = "QuotaExceeded"


class NotFound(KosmosError):
    code = 404
    type_name = "NotFound"


class Conflict(KosmosError):
    code = 409
    type_name = "Conflict"


class StaleVersion(Conflict):
    type_name = "StaleVersion"


class PayloadTooLarge(KosmosError):
    code = 413
    type_name = "PayloadTooLarge"


class UnsupportedMediaType(KosmosError):
    code = 415
    type_name = "UnsupportedMediaType"


class Unavailable(KosmosError):
    code = 503
    type_name = "Unavailable"
    retryable = True


class ApplianceError(Unavailable):
    type_name = "ApplianceError"


class ApplianceRefused(ApplianceError):
    """The appliance refused this answer for good (a quota, a name outside the zone):
    sending it again changes nothing, a different answer or an operator's fix does."""

    type_name = "ApplianceRefused"


_BY_NAME: dict[str, type[KosmosError]] = {
    cls.type_name: cls
    for cls in (KosmosError, ValidationError, NotAuthenticated, Forbidden, QuotaExceeded, NotFound,
                Conflict, StaleVersion, PayloadTooLarge, UnsupportedMediaType,
                Unavailable, ApplianceError, ApplianceRefused)
}


def from_wire(body: dict[str, Any]) -> KosmosError:
    """Rebuild the error that ``to_wire`` encoded (unknown types become KosmosError)."""
    err = body.get("error", body) if isinstance(body, dict) else {}
    cls = _BY_NAME.get(str(err.get("type")), KosmosError)
    return cls(str(err.get("message", "")), field=err.get("field"),
               details=err.get("details") or [], retry_after=err.get("retry_after"))


def from_pydantic(exc: Any, prefix: str = "") -> ValidationError:
    """Turn a pydantic ``ValidationError`` into ours, naming the first bad field."""
    details = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in (prefix, *e.get("loc", ())) if p != "")
        details.append({"field": loc, "message": e.get("msg", "")})
    first = details[0] if details else {"field": prefix or None, "message": str(exc)}
    field = first["field"] or None
    msg = f"{field}: {first['message']}" if field else first["message"]
    return ValidationError(msg, field=field, details=details)
