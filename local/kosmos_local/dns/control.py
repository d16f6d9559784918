"""The local responder's HTTP control API (what the ``local`` driver talks to).

    GET    /v1/records/{fqdn}            → 200 {"fqdn","zone","a","aaaa","ttl"} | 404
    PUT    /v1/records/{fqdn}            {"zone", "addresses", "ttl", "route"?} → 200 (idempotent)
    DELETE /v1/records/{fqdn}            → 204 (also when absent)
    GET    /v1/records                   → 200 {"zones", "serial", "names"}
    PUT    /v1/zones/{zone}              → 200: manage a zone with no names yet
    PATCH  /v1/zones/{zone}/records      {"records": [{"fqdn", "addresses", "ttl", "route"?}]}
                                         → 200 {"failed": {fqdn: why}}: the others are
                                         served, written to the state file once
    GET    /healthz                      → 200
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from kosmos_local.dns.connections import TracksConnections
from kosmos_local.dns.store import RecordStore
from kosmos.contracts.dnsnames import is_within_zone, normalize_fqdn


#: the most records one PATCH may carry
MAX_RECORDS = 1000


def _one(item: Any, zone: str) -> tuple[str, list[str], int, Any]:
    """(fqdn, addresses, ttl, route) of one record of a PATCH; ValueError naming what is wrong."""
    if not isinstance(item, dict):
        raise ValueError("a record must be an object")
    name = normalize_fqdn(str(item.get("fqdn", "")), "fqdn")
    ttl = item.get("ttl", 30)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= 86400:
        raise ValueError("ttl must be an integer from 1 to 86400")
    addresses = item.get("addresses", [])
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise ValueError("addresses must be a list of strings")
    route = item.get("route")
    if route is not None and not isinstance(route, dict):
        raise ValueError("route must be an object")
    if not is_within_zone(name, zone):
        raise ValueError(f"{name} is not inside {zone}")
    return name, addresses, ttl, route


class _Handler(BaseHTTPRequestHandler):
    server_version = "kosmos-local-dns"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the body waits for the
    # client's delayed ACK (about 40 ms per request on Linux).
    disable_nagle_algorithm = True

    @property
    def store(self) -> RecordStore:
        return self.server.store   # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:   # noqa: A002 - stdlib signature
        return  # quiet: the runner logs requests itself

    def _reply(self, code: int, body: Any = None) -> None:
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        if raw:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _name(self, prefix: str) -> str | None:
        path = urlsplit(self.path).path
        if not path.startswith(prefix):
            return None
        try:
            return normalize_fqdn(unquote(path[len(prefix):]))
        except ValueError:
            return None

    def _body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def do_GET(self) -> None:   # noqa: N802 - stdlib naming
        path = urlsplit(self.path).path
        if path == "/healthz":
            return self._reply(200, {"ok": True})
        if path == "/v1/records":
            return self._reply(200, self.store.dump())
        name = self._name("/v1/records/")
        if name is None:
            return self._reply(404, {"error": "not found"})
        rec = self.store.get(name)
        if rec is None:
            return self._reply(404, {"error": f"{name} is not served"})
        self._reply(200, {"fqdn": name, "zone": rec.zone, "a": rec.a, "aaaa": rec.aaaa, "ttl": rec.ttl,
                          "route": rec.route})

    def do_PUT(self) -> None:   # noqa: N802
        zone = self._name("/v1/zones/")
        if zone is not None:
            self.store.add_zone(zone)
            return self._reply(200, {"zone": zone})
        name = self._name("/v1/records/")
        body = self._body()
        if name is None or body is None:
            return self._reply(400, {"error": "expected /v1/records/{fqdn} and a JSON object"})
        try:
            zone = normalize_fqdn(str(body.get("zone", "")), "zone")
            ttl = int(body.get("ttl", 30))
            addresses = [str(a) for a in body.get("addresses", [])]
            route = body.get("route")
            if route is not None and not isinstance(route, dict):
                raise ValueError("route must be an object")
        except (ValueError, TypeError) as exc:
            return self._reply(400, {"error": str(exc)})
        if not is_within_zone(name, zone) or not 1 <= ttl <= 86400:
            return self._reply(400, {"error": f"{name} not inside {zone}, or bad ttl"})
        try:
            self.store.put(name, zone, addresses, ttl, route)
        except ValueError as exc:
            return self._reply(400, {"error": f"route: {exc}"})
        self._reply(200, {"fqdn": name})

    def do_PATCH(self) -> None:   # noqa: N802
        path = urlsplit(self.path).path
        zone = None
        if path.startswith("/v1/zones/") and path.endswith("/records"):
            try:
                zone = normalize_fqdn(unquote(path[len("/v1/zones/"):-len("/records")]), "zone")
            except ValueError:
                zone = None
        body = self._body()
        records = body.get("records") if body is not None else None
        if zone is None or not isinstance(records, list):
            return self._reply(400, {"error": "expected /v1/zones/{zone}/records and a JSON "
                                              "object with a list of records"})
        if len(records) > MAX_RECORDS:
            return self._reply(400, {"error": f"records: at most {MAX_RECORDS} per request"})
        failed: dict[str, str] = {}
        ready = []
        for i, item in enumerate(records):
            try:
                ready.append(_one(item, zone))
            except (ValueError, TypeError) as exc:
                name = item.get("fqdn") if isinstance(item, dict) else None
                failed[str(name) if isinstance(name, str) else f"records[{i}]"] = str(exc)
        failed.update(self.store.put_many(zone, ready))
        self._reply(200, {"failed": failed})

    def do_DELETE(self) -> None:   # noqa: N802
        name = self._name("/v1/records/")
        if name is None:
            return self._reply(404, {"error": "not found"})
        self.store.delete(name)
        self._reply(204)


class _Server(TracksConnections, ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def start_control(store: RecordStore, host: str, port: int) -> tuple[ThreadingHTTPServer, int]:
    """Serve the control API on ``port`` (0: a free one); returns the server and port."""
    srv = _Server((host, port), _Handler)
    srv.store = store   # type: ignore[attr-defined]
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                     name="local-dns-control", daemon=True).start()
    return srv, srv.server_address[1]
