"""Stopping a threaded TCP server must also drop its open (keep-alive) connections.

``socketserver`` stops accepting on ``shutdown`` but lets handler threads of
established connections run on, so a client with a kept-alive connection
would still be served by a "stopped" responder.
"""
from __future__ import annotations

import socket
import threading
from typing import Any


class TracksConnections:
    """Mixin (first base) for ``socketserver.ThreadingTCPServer`` subclasses."""

    def __init__(self, *args: Any, **kwargs: Any):
        self._open_conns: set[Any] = set()
        self._conns_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._open_conns.add(request)
        super().process_request(request, client_address)   # type: ignore[misc]

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._open_conns.discard(request)
        super().shutdown_request(request)   # type: ignore[misc]

    def close_connections(self) -> None:
        with self._conns_lock:
            conns, self._open_conns = list(self._open_conns), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
