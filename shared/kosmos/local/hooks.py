"""Where the platform meets the functions' own composition: the embedded DNS
server, logging, and each function instance's dependencies.

The checker runs once per simulated region in one process, so each instance
is given its own dependencies (its region's settings, a queue publisher)
instead of the process-wide ``get_settings``; the engine gets a publisher too.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from kosmos.config import Settings
from kosmos.local.events import Envelope
from kosmos.local.loader import LoadedFunction
from kosmos.local.options import RunnerOptions
from kosmos.local.publisher import QueuePublisher
from kosmos.logs import configure


def dns_state_path(db_url: str) -> str:
    """Where the embedded DNS keeps its records: next to a SQLite file, else in the cwd."""
    prefix = "sqlite:///"
    if db_url.startswith(prefix) and db_url[len(prefix):] not in ("", ":memory:"):
        return db_url[len(prefix):] + ".dns.json"
    return "kosmos-dns.json"


def start_dns(opts: RunnerOptions) -> Any:
    from kosmos.appliances.local_dns import serve
    return serve(opts.host, opts.dns_port, 0, state_path=dns_state_path(opts.db))


def stop_dns(server: Any) -> None:
    server.stop()


def configure_logging(opts: RunnerOptions) -> None:
    configure(opts.log_level, opts.log_format)
    # One line per internal HTTP request would drown the ticks and verdicts.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def conductor_call(settings: Settings) -> Callable[[str, dict], Any]:
    from kosmos import bootstrap
    client = bootstrap.conductor_client(settings)
    return lambda op, args: client.call(op, args)


def inject_checker(fn: LoadedFunction, settings: Settings, route: Callable[[Envelope], None]) -> None:
    """Give one region's checker copy its own service: its region's settings, a queue publisher.

    ``functions/checker/main.py`` keeps its ``INSTANCE`` in the module, and the
    loader gives every copy its own module, so each copy serves one region.
    """
    from kosmos import bootstrap
    publisher = QueuePublisher(route, source=f"//kosmos/checker/{settings.region}")
    fn.module.INSTANCE.use(bootstrap.checker_service(settings, publisher=publisher))


def inject_conductor(settings: Settings, route: Callable[[Envelope], None]) -> None:
    """Build the conductor's handler now, announcing users' changes into the queue."""
    from kosmos.conductor import http
    from kosmos.conductor.app import build_handler
    http.use_handler(build_handler(settings=settings, publisher=QueuePublisher(
        route, source="//kosmos/conductor")))


def inject_engine(fn: LoadedFunction, settings: Settings) -> None:
    """Build the engine's service now, from the runner's settings (it publishes nothing)."""
    from kosmos import bootstrap
    fn.module.INSTANCE.use(bootstrap.engine_service(settings))
