"""Serve a WSGI app as functions-framework does in production: gunicorn's gthread worker.

functions-framework runs a function under gunicorn with threads (``gthread``),
which keeps HTTP/1.1 connections alive between requests. Werkzeug's development
server, which the emulator used before, answers every request with
``Connection: close``: each call from the api to the conductor and each event
delivery opened a new TCP connection and started a new thread, about a quarter
of the api's CPU per request, which production never pays.

``KeepAliveServer`` runs one gthread worker in the calling thread, without
gunicorn's arbiter: the emulator already starts, watches and stops its
functions, and a second process per function would only double their memory.
The worker's own signal handlers are not installed, as the owner decides what a
signal means (``kosmos_local.serve`` stops on SIGTERM and ignores SIGINT), so
the server can also run on a thread other than the main one (the runner's
broker and admin API).
"""
from __future__ import annotations

import os
import socket
import threading
import time
from typing import Callable

from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.sock import TCP6Socket, TCPSocket
from gunicorn.workers.gthread import ThreadWorker

#: requests served at once by default: one emulated instance stands in for several of
#: production's (the queue delivers up to 32 batches and a tick at once to a region's
#: checker); threads start when needed
THREADS = 40
#: seconds an idle connection stays open: longer than the pauses between a caller's
#: requests in steady state, so callers rarely open a new one (gunicorn's default is 2)
KEEPALIVE = 75
#: seconds a stop waits for requests in flight before closing their connections
GRACEFUL = 5
#: seconds idle kept-alive connections stay open once a stop begins (gunicorn's: 2)
STOP_LINGER = 0.1


class _Loaded:
    """What a gunicorn worker loads its app from."""

    def __init__(self, app: Callable):
        self.app = app

    def wsgi(self) -> Callable:
        return self.app


class _Worker(ThreadWorker):
    def init_signals(self) -> None:
        """The owner handles signals (and may not be on the main thread)."""

    def is_parent_alive(self) -> bool:
        return self.ppid is None or super().is_parent_alive()

    def _cap_keepalive(self, deadline: float) -> None:
        # Functions stop one after another; two seconds of idle connections each added up.
        super()._cap_keepalive(min(deadline, time.monotonic() + STOP_LINGER))


class KeepAliveServer:
    """``app`` on ``listener`` (bound and listening) with ``threads`` request threads."""

    def __init__(self, app: Callable, listener: socket.socket, *, threads: int,
                 name: str = "kosmos", watch_parent: bool = False):
        cfg = Config()
        for key, value in {"threads": threads, "keepalive": KEEPALIVE,
                           "graceful_timeout": GRACEFUL, "timeout": 0, "loglevel": "warning",
                           "proc_name": name, "limit_request_line": 0,
                           "worker_connections": 1000}.items():
            cfg.set(key, value)
        log = Logger(cfg)
        kind = TCP6Socket if listener.family == socket.AF_INET6 else TCPSocket
        # gunicorn takes over (and closes) the descriptor it is given: give it a copy
        sock = kind(listener.getsockname(), cfg, log, fd=os.dup(listener.fileno()))
        self.port = sock.getsockname()[1]
        self._worker = _Worker(1, os.getppid() if watch_parent else None, [sock],
                               _Loaded(app), 0, cfg, log)
        self._stopping = threading.Event()

    def serve_forever(self) -> None:
        """Serve until ``stop()`` (or, with ``watch_parent``, until the parent is gone)."""
        try:
            if not self._stopping.is_set():
                self._worker.init_process()
        finally:
            for s in self._worker.sockets:
                s.close()
            self._worker.tmp.close()

    def stop(self) -> None:
        """Finish the requests in flight and return from ``serve_forever``; from any thread."""
        self._stopping.set()
        worker = self._worker
        if worker.alive:
            worker.alive = False
            if worker.method_queue._write_fd is not None:   # running: wake its poller
                worker.method_queue.defer(lambda: None)
