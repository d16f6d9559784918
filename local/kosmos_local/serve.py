"""Serve one function in a process of its own: ``python -m kosmos_local.serve ...``.

The platform emulator starts one of these per function instance (the api,
the conductor, the engine, one checker per region), as a serverless platform
runs each function in its own container: each gets its own interpreter, so
the checkers' probing, the engine's decisions and the API share the machine's
cores instead of one interpreter lock. The function is loaded exactly as
functions-framework deploys it and served as functions-framework serves it:
gunicorn's gthread worker, connections kept alive (``kosmos_local.wsgiserver``).

The api function's process serves the runner's public port itself, as the platform's
ingress hands requests straight to the function: with ``--admin-url`` it forwards
the runner's own endpoints (``/_runner/...``) to the runner, and serves every
other path with the function.

The process stops cleanly on SIGTERM (the emulator's stop), ignores SIGINT
(a Ctrl-C in the terminal reaches the whole process group; the emulator
stops its functions in order), and exits by itself if the emulator dies.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import sys

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kosmos_local.serve")
    p.add_argument("--name", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--signature", choices=("http", "cloudevent"), required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--fd", type=int, default=None,
                   help="a socket already bound to --host/--port and listening (the emulator's)")
    p.add_argument("--threads", type=int, default=None,
                   help="requests served at once (default: kosmos_local.wsgiserver.THREADS; "
                        "an idle kept-alive connection holds none)")
    p.add_argument("--admin-url", default=None,
                   help="forward /_runner/... to the runner's admin server at this URL")
    p.add_argument("--nice", type=int, default=0,
                   help="lower this process's CPU priority by this much (POSIX nice) before "
                        "any thread starts, so every thread it starts has it too")
    a = p.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if a.nice and hasattr(os, "nice"):
        os.nice(a.nice)

    from kosmos.config import get_settings
    from kosmos_local.hooks import configure_logging_for
    from kosmos_local.loader import load_function
    from kosmos_local.wsgiserver import THREADS, KeepAliveServer

    settings = get_settings()
    configure_logging_for(settings.log_level, settings.log_format)
    fn = load_function(a.name, a.source, a.target, a.signature)
    app = fn.app
    if a.admin_url:
        from kosmos_local.ingress import Ingress
        from kosmos_local.procs import Forwarder
        app = Ingress(app, Forwarder(a.admin_url, "the runner"))
    if a.fd is not None:
        listener = socket.socket(fileno=a.fd)
    else:
        listener = socket.create_server(
            (a.host, a.port), family=socket.AF_INET6 if ":" in a.host else socket.AF_INET)
    # With watch_parent the worker stops by itself once the emulator is gone: nobody
    # would stop it otherwise.
    server = KeepAliveServer(app, listener, threads=a.threads or THREADS,
                             name=f"kosmos-{a.name}", watch_parent=True)
    listener.close()   # the server serves a copy of it
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
