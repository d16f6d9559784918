"""Where the platform meets the functions' own composition: the embedded DNS
server, logging, and each function instance's dependencies.

The checker runs once per simulated region in one process, so each instance
is given its own dependencies (its region's settings, a queue publisher)
instead of the process-wide ``get_settings``; the engine gets a publisher too.
"""
from __future__ import annotations

import logging
from pathlib import Path
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
    """Give one region's checker instance its own settings and a queue publisher."""
    raise NotImplementedError("waiting for functions/checker/main.py")


def inject_engine(fn: LoadedFunction, settings: Settings, route: Callable[[Envelope], None]) -> None:
    """Give the engine a queue publisher (it reads the shared settings)."""
    raise NotImplementedError("waiting for functions/engine/main.py")
