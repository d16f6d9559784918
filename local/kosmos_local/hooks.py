"""Where the platform meets the functions: the embedded DNS server, logging,
and the runner's own conductor client (for the log of verdicts and answers)."""
from __future__ import annotations

import logging
from typing import Any, Callable

from kosmos.config import Settings
from kosmos_local.options import RunnerOptions
from kosmos.logs import configure


def dns_state_path(db_url: str) -> str:
    """Where the embedded DNS keeps its records: next to a SQLite file, else in the cwd."""
    prefix = "sqlite:///"
    if db_url.startswith(prefix) and db_url[len(prefix):] not in ("", ":memory:"):
        return db_url[len(prefix):] + ".dns.json"
    return "kosmos-dns.json"


def start_dns(opts: RunnerOptions) -> Any:
    from kosmos_local.dns import serve
    return serve(opts.host, opts.dns_port, 0, state_path=dns_state_path(opts.db))


def stop_dns(server: Any) -> None:
    server.stop()


def configure_logging(opts: RunnerOptions) -> None:
    configure_logging_for(opts.log_level, opts.log_format)


def configure_logging_for(level: str, fmt: str) -> None:
    """The runner's logging, in its own process and in each function's."""
    configure(level, fmt)
    # One line per internal HTTP request would drown the ticks and verdicts.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def conductor_call(settings: Settings) -> Callable[[str, dict], Any]:
    from kosmos import bootstrap
    client = bootstrap.conductor_client(settings)
    return lambda op, args: client.call(op, args)
