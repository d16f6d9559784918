"""The local runner's embedded authoritative DNS responder.

``serve(host, dns_port, control_port, state_path)`` starts it (UDP and TCP DNS
on ``dns_port``, the HTTP control API of ``control`` on ``control_port``; 0
picks free ports) and returns a ``LocalDnsServer`` to stop it. Records live in
the JSON file ``state_path`` so a restart keeps the answers. Then
``dig @127.0.0.1 -p <dns_port> www.example.com.`` works, and the ``local``
appliance driver reaches it at ``control_url``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from socketserver import BaseServer

from kosmos_local.dns.control import start_control
from kosmos_local.dns.responder import answer, start_dns
from kosmos_local.dns.store import RecordStore

__all__ = ["LocalDnsServer", "RecordStore", "answer", "serve"]


@dataclass
class LocalDnsServer:
    host: str
    dns_port: int
    control_port: int
    store: RecordStore
    _servers: list[BaseServer] = field(default_factory=list, repr=False)

    @property
    def control_url(self) -> str:
        return f"http://{self.host}:{self.control_port}"

    def stop(self) -> None:
        """Stop every listener and release the ports."""
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
            if hasattr(srv, "close_connections"):
                srv.close_connections()
        self._servers.clear()

    def __enter__(self) -> "LocalDnsServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", dns_port: int = 5353, control_port: int = 5380,
          state_path: str | None = None, zones: list[str] | None = None) -> LocalDnsServer:
    """Start the responder in background threads; returns the running server."""
    store = RecordStore(state_path)
    for zone in zones or []:
        store.add_zone(zone)
    dns_servers, real_dns = start_dns(store, host, dns_port)
    try:
        control, real_control = start_control(store, host, control_port)
    except OSError:
        for srv in dns_servers:
            srv.shutdown()
            srv.server_close()
        raise
    return LocalDnsServer(host, real_dns, real_control, store, [*dns_servers, control])
