"""ApiApp: one HTTP request in, one response out.

Order of checks: route (404/405), authentication (401), policy (403), body
(413, 415, 400), handler (conductor errors as they come). Every failure goes
through ``kosmos.api.errors.error_response``; every request ends with one
structured log line carrying its request id.
"""
from __future__ import annotations

import hmac
import json
import time
import uuid
from typing import Any, Callable

from werkzeug.exceptions import MethodNotAllowed as WzMethodNotAllowed
from werkzeug.exceptions import NotFound as WzNotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from kosmos.contracts.operations import METRICS_READ, PING
from kosmos.adapters.conductor_client import ConductorClient
from kosmos.api import openapi
from kosmos.api.auth import Authenticator, NoAuth, Principal
from kosmos.api.context import ApiCall
from kosmos.api.errors import MethodNotAllowed, error_response, json_response
from kosmos.api.dashboard import dashboard_asset
from kosmos.api.policy import Policy, credentials
from kosmos.api.routes import ROUTES, Route, url_map
from kosmos.contracts.common import nul_path
from kosmos.contracts.metrics import flush, prometheus_text
from kosmos.errors import (NotAuthenticated, NotFound, PayloadTooLarge, UnsupportedMediaType,
                           ValidationError)
from kosmos.logs import get_logger

log = get_logger(__name__)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def read_json(request: Request, max_bytes: int) -> Any:
    """The decoded JSON body, or 413 / 415 / 400 naming what is wrong."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(
            f"Content-Type must be application/json, not {mimetype or 'missing'!r}")
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    if not data.strip():
        raise ValidationError("the request body is empty; a JSON object is required",
                              field="body")
    try:
        body = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError and UnicodeDecodeError are ValueErrors.
        where = f" at line {exc.lineno} column {exc.colno}" if hasattr(exc, "lineno") else ""
        raise ValidationError(f"malformed JSON{where}", field="body") from None
    _refuse_nul(body)
    return body


def _refuse_nul(value: Any) -> None:
    where = nul_path(value)
    if where:
        raise ValidationError(f"{where}: must not contain a NUL character", field=where)


def idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header of a create, checked (1..255 visible characters)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isprintable() or key != key.strip():
        raise ValidationError("Idempotency-Key must be 1 to 255 printable characters",
                              field="Idempotency-Key")
    return key


class ApiApp:
    """The api function's library entry: ``app(request) -> Response``.

    ``conductor``, ``authenticator`` and ``policy`` are the ports; tests pass
    fakes or real parts, ``kosmos.bootstrap.api_app`` builds production ones.
    """

    def __init__(self, conductor: ConductorClient, authenticator: Authenticator,
                 policy: Policy | None = None, *, max_body_bytes: int = 1_048_576,
                 public_url: str | None = None,
                 resolve_endpoints: Callable[[dict[str, Any]], Any] | None = None,
                 metrics_token: str | None = None):
        self.conductor = conductor
        self.metrics_token = metrics_token
        self.resolve_endpoints = resolve_endpoints
        self.authenticator = authenticator
        self.policy = policy or Policy()
        self.max_body_bytes = max_body_bytes
        self.public_url = public_url.rstrip("/") if public_url else None
        self.urls = url_map()

    def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = "req-" + str(uuid.uuid4())
        principal: Principal | None = None
        try:
            route, params = self._match(request)
            if not route.public:
                principal = self.authenticator.authenticate(request.headers)
                self.policy.enforce(route.action, credentials(principal),
                                    {"project_id": principal.project_id, **params})
            response = self._dispatch(request, route, params, principal, request_id)
        except Exception as exc:  # noqa: BLE001 - the one place errors become HTTP
            response = error_response(exc, request_id=request_id,
                                      keystone_url=self.authenticator.keystone_url)
        response.headers["X-Openstack-Request-Id"] = request_id
        if getattr(self.conductor, "metrics", None) is not None:
            flush(self.conductor.metrics, lambda op, args: self.conductor.call(op, args))
        log.info("%s %s %s", request.method, request.path, response.status_code,
                 extra={"request_id": request_id, "status": response.status_code,
                        "project_id": principal.project_id if principal else None,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
        return response

    def _match(self, request: Request) -> tuple[Route, dict[str, str]]:
        adapter = self.urls.bind_to_environ(request.environ)
        try:
            index, params = adapter.match()
        except WzMethodNotAllowed as exc:
            raise MethodNotAllowed(f"{request.method} is not allowed on {request.path}",
                                   list(exc.valid_methods or [])) from None
        except (WzNotFound, RequestRedirect):
            raise NotFound(f"no such path: {request.path}") from None
        return ROUTES[index], {k: str(v) for k, v in params.items()}

    def _base_url(self, request: Request) -> str:
        return self.public_url or (request.host_url.rstrip("/") + request.script_root)

    def _dispatch(self, request: Request, route: Route, params: dict[str, str],
                  principal: Principal | None, request_id: str) -> Response:
        base = self._base_url(request)
        if route.kind == "versions":
            return json_response(self.versions(base))
        if route.kind == "version":
            return json_response({"version": self.versions(base)["versions"][0]})
        if route.kind == "healthcheck":
            self.conductor.invoke(PING, {})   # Unavailable (503) when it cannot answer
            return json_response({"status": "ok"})
        if route.kind == "openapi":
            return json_response(openapi.document(
                "noauth" if isinstance(self.authenticator, NoAuth) else "keystone"))
        if route.kind == "metrics":
            return self._metrics(request)
        if route.kind == "dashboard":
            return dashboard_asset(request, params.get("asset"))
        for name in request.args:
            _refuse_nul({name: " ".join(request.args.getlist(name))})
        _refuse_nul(params)
        body = read_json(request, self.max_body_bytes) if route.has_body else None
        call = ApiCall(conductor=self.conductor, policy=self.policy, principal=principal,
                       request_id=request_id, base_url=base, path=request.path,
                       params=params, args=request.args, body=body,
                       idempotency_key=idempotency_key(request),
                       resolve_endpoints=self.resolve_endpoints)
        return route.handler(call)

    def _metrics(self, request: Request) -> Response:
        if self.metrics_token is not None:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {self.metrics_token}".encode()):
                raise NotAuthenticated("GET /metrics wants the scrape's bearer token")
        series = self.conductor.invoke(METRICS_READ, {}).series
        return Response(prometheus_text(series), 200,
                        content_type="text/plain; version=0.0.4; charset=utf-8")

    @staticmethod
    def versions(base: str) -> dict[str, Any]:
        """The version document of ``GET /``."""
        return {"versions": [{"id": "v1", "status": "CURRENT", "links": [
            {"rel": "self", "href": f"{base}/v1/"},
            {"rel": "describedby", "href": f"{base}/v1/openapi.json"}]}]}
