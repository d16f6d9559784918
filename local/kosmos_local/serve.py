"""Serve one function in a process of its own: ``python -m kosmos_local.serve ...``.

The platform emulator starts one of these per function instance (the api,
the conductor, the engine, one checker per region), as a serverless platform
runs each function in its own container: each gets its own interpreter, so
the checkers' probing, the engine's decisions and the API share the machine's
cores instead of one interpreter lock. The function is loaded exactly as
functions-framework deploys it and served by a threaded WSGI server.

The process stops cleanly on SIGTERM (the emulator's stop), ignores SIGINT
(a Ctrl-C in the terminal reaches the whole process group; the emulator
stops its functions in order), and exits by itself if the emulator dies.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from werkzeug.serving import make_server


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
    a = p.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from kosmos.config import get_settings
    from kosmos_local.hooks import configure_logging_for
    from kosmos_local.loader import load_function

    settings = get_settings()
    configure_logging_for(settings.log_level, settings.log_format)
    fn = load_function(a.name, a.source, a.target, a.signature)
    server = make_server(a.host, a.port, fn.app, threaded=True, fd=a.fd)
    stopping = threading.Event()

    def stop(*_: object) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    parent = os.getppid()

    def watch_parent() -> None:
        while not stopping.wait(1.0):
            if os.getppid() != parent:   # the emulator is gone: nobody will stop us
                stop()

    threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
