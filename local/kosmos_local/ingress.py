"""The runner's admin API, and the routing of the public port: ``/_runner/...`` to
the admin API, everything else to the api function (``Ingress``, in the api's
process, which serves the public port; ``kosmos_local.serve --admin-url``).

Admin API (JSON):
  GET  /_runner/regions                 → {"regions": {"RegionOne": "ok", ...}}
  POST /_runner/regions/{name}          {"mode": "ok"|"fail"|"cut", "addresses"?: [...]}
                                        → {"region", "mode", "addresses"}
  GET  /_runner/queue                   → {"pending", "lanes": {subscriber: {"waiting",
                                        "in_flight", "lag_s"}}, "delivered", "retried",
                                        "dead_letters": [...]}
  POST /_runner/tick                    → fire one cron round now
"""
from __future__ import annotations

import json
import socket
import threading
from typing import Any, Callable

from werkzeug.wrappers import Request, Response

from kosmos.errors import KosmosError, ValidationError
from kosmos_local.queue import EventQueue
from kosmos_local.regions import RegionModes
from kosmos_local.wsgiserver import THREADS, KeepAliveServer

ADMIN_PREFIX = "/_runner"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status=status, mimetype="application/json")


class AdminApp:
    """The runner's own endpoints (region simulation, queue inspection)."""

    def __init__(self, regions: RegionModes, queue: EventQueue | None = None,
                 tick: Callable[[], Any] | None = None):
        self.regions = regions
        self.queue = queue
        self.tick = tick

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        try:
            response = self.route(request)
        except KosmosError as exc:
            response = _json(exc.to_wire(), exc.code)
        return response(environ, start_response)

    def route(self, request: Request) -> Response:
        parts = [p for p in request.path[len(ADMIN_PREFIX):].split("/") if p]
        if parts == ["regions"] and request.method == "GET":
            return _json({"regions": self.regions.snapshot(), "addresses": self.regions.addresses()})
        if len(parts) == 2 and parts[0] == "regions" and request.method in ("POST", "PUT"):
            body = request.get_json(force=True, silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("mode"), str):
                raise ValidationError('mode: send {"mode": "ok"|"fail"|"cut"}', field="mode")
            addresses = body.get("addresses")
            if addresses is not None and not isinstance(addresses, list):
                raise ValidationError("addresses: must be a list", field="addresses")
            self.regions.set(parts[1], body["mode"], addresses)
            return _json({"region": parts[1], "mode": body["mode"], "addresses": addresses})
        if parts == ["queue"] and request.method == "GET" and self.queue is not None:
            q = self.queue
            return _json({"pending": q.pending(), "lanes": q.lanes(),
                          "delivered": q.delivered, "retried": q.retried,
                          "dead_letters": [d.record() for d in q.dead_letters]})
        if parts == ["tick"] and request.method == "POST" and self.tick is not None:
            self.tick()
            return _json({"ticked": True})
        return _json({"error": {"code": 404, "type": "NotFound",
                                "message": f"no runner endpoint {request.method} {request.path}",
                                "details": []}}, 404)


class Ingress:
    """WSGI dispatcher: admin prefix to ``admin``, the rest to ``api``."""

    def __init__(self, api: Callable, admin: Callable):
        self.api = api
        self.admin = admin

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return self.admin(environ, start_response)
        return self.api(environ, start_response)


class Server:
    """A WSGI app served on a thread of its own, connections kept alive (the runner's
    broker and admin API)."""

    def __init__(self, host: str, port: int, app: Callable, name: str):
        self.name = name
        listener = socket.create_server(
            (host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            self._server = KeepAliveServer(app, listener, threads=THREADS, name=name)
        finally:
            listener.close()
        self.host = host
        self.port = self._server.port
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> "Server":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        if self._thread.is_alive():
            self._thread.join(10)
