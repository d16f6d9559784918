"""Function instances as processes of their own, and the HTTP between them and the platform.

- ``FunctionProcess``: one function served by ``kosmos_local.serve`` in a child
  process on an internal port. The emulator binds the port itself and hands the
  listening socket to the child, so no other process can take the port between
  choosing it and serving on it (with a port merely picked as free, two functions
  could end up behind one port and the conductor's calls reach a checker).
- ``http_delivery``: how the queue hands an event to a function process
  (CloudEvents binary mode over HTTP POST, as a broker's trigger would).
- ``BrokerApp``: the platform's event ingress: functions emit with the
  production ``http`` emitter to it, and it routes into the queue.
- ``Forwarder``: a request forwarded to another server and its answer back (the api
  function's process forwards the runner's admin paths to the runner).
"""
from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

import requests
from werkzeug.wrappers import Request, Response

from kosmos.adapters.http_client import TRANSPORT_ERRORS, client_for
from kosmos.contracts.events import CHECK_BATCH
from kosmos_local.events import DeliveryFailed, Envelope, answer_text, json_object, to_binary
from kosmos.logs import get_logger

log = get_logger("kosmos.local.runner")


@dataclass
class _Instance:
    """One instance of a function: its process and what ``revive`` knows of it."""
    proc: subprocess.Popen
    started: float                 # when it was started (monotonic)
    pause: float = 0.0             # its pause after its last exit
    due: float | None = None       # when it is started again, once seen exited


class FunctionProcess:
    """``name`` (``target`` in ``source``) served by ``instances`` child processes on ``host``.

    The emulator binds the listening socket and every instance accepts on it, as
    a pre-forking server's workers do: the kernel hands each connection to one
    idle instance, as the platform's load balancer spreads requests over a
    function's instances. An instance that exits is replaced (``revive``), as the
    platform replaces a crashed one.
    """

    #: The longest pause before starting again an instance that keeps exiting.
    MAX_PAUSE = 30.0
    #: An instance that served this long before exiting is started again at once.
    SETTLED = 60.0

    def __init__(self, name: str, source: Path, target: str, signature: str, host: str,
                 env: dict[str, str], port: int = 0, instances: int = 1,
                 extra: list[str] | None = None):
        self.name = name
        self.host = host
        self.instances = max(1, instances)
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            if os.name == "posix":   # a port just given up by an earlier run binds again
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.sock.listen(128)
        except OSError:
            self.sock.close()
            raise
        self.port = self.sock.getsockname()[1]
        self.cmd = [sys.executable, "-m", "kosmos_local.serve", "--name", name,
                    "--source", str(source), "--target", target, "--signature", signature,
                    "--host", host, "--port", str(self.port), "--fd", str(self.sock.fileno()),
                    *(extra or [])]
        self.env = {**os.environ, **env}
        self._instances: list[_Instance] = []
        self._lock = threading.Lock()            # revive (the runner's watch) against stop
        self._stopping = False

    @property
    def procs(self) -> list[subprocess.Popen]:
        """The instances' processes, as they are now (``revive`` replaces exited ones)."""
        return [i.proc for i in self._instances]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> "FunctionProcess":
        now = time.monotonic()
        self._instances = [_Instance(self._spawn(), now) for _ in range(self.instances)]
        return self

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(self.cmd, env=self.env, stdin=subprocess.DEVNULL,
                                pass_fds=(self.sock.fileno(),))

    def revive(self, now: float | None = None) -> int:
        """Start an instance in place of each that exited; how many were started.

        One that served ``SETTLED`` seconds or more is started again at once; one that
        keeps exiting sooner waits a pause doubling from 1 s to ``MAX_PAUSE``, so a
        crash loop neither spins nor floods the log. Nothing once ``stop`` has begun.
        """
        now = time.monotonic() if now is None else now
        started = 0
        with self._lock:
            if self._stopping:
                return 0
            for inst in self._instances:
                if inst.proc.poll() is None:
                    continue
                if inst.due is None:
                    lived = now - inst.started
                    inst.pause = (0.0 if lived >= self.SETTLED
                                  else min(self.MAX_PAUSE, max(1.0, 2 * inst.pause)))
                    inst.due = now + inst.pause
                    log.warning("function %s: an instance exited (%s) after %.0fs; starting "
                                "another in %gs", self.name, inst.proc.returncode, lived, inst.pause)
                if now >= inst.due:
                    try:
                        inst.proc = self._spawn()
                    except OSError as exc:   # out of processes or descriptors: try later
                        inst.due = now + max(1.0, inst.pause)
                        log.warning("function %s: could not start an instance: %s", self.name, exc)
                        continue
                    inst.started, inst.due = now, None
                    started += 1
        return started

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the function answers HTTP; RuntimeError if an instance exits or it times out.

        The socket listens from the start, so a connection alone proves nothing:
        readiness is an answer, whatever its status.
        """
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            gone = [p for p in self.procs if p.poll() is not None]
            if not self.procs or gone:
                code = gone[0].returncode if gone else None
                raise RuntimeError(f"function {self.name} exited ({code}) before serving "
                                   f"on port {self.port}")
            try:
                requests.get(self.url + "healthz", timeout=1.0)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"function {self.name} did not serve on port {self.port} "
                           f"within {timeout:g}s")

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            self._stopping = True
        try:
            running = [p for p in self.procs if p.poll() is None]
            for p in running:
                p.send_signal(signal.SIGTERM)
            end = time.monotonic() + timeout
            for p in running:
                try:
                    p.wait(max(0.1, end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log.warning("function %s did not stop in %gs; killed", self.name, timeout)
                    p.kill()
                    p.wait()
        finally:
            self.sock.close()


def http_delivery(url: str, timeout: float) -> Callable[[Envelope], int]:
    """A queue handler POSTing each envelope to ``url``; anything but 2xx fails (retried)."""
    client = client_for(url, timeout)

    def deliver(env: Envelope) -> int:
        headers, body = to_binary(env)
        try:
            resp = client.post(url, body, headers)
        except TRANSPORT_ERRORS as exc:
            raise DeliveryFailed(f"{env.type} not delivered: {exc.__class__.__name__}") from exc
        if not 200 <= resp.status < 300:
            raise DeliveryFailed(f"{env.type} answered HTTP {resp.status}: {answer_text(resp.text)}")
        return resp.status

    return deliver


def dead_letter_sink(conductor_url: str, timeout: float = 10.0) -> Callable[[Any], None]:
    """The queue's ``on_dead``: the dead letter to the conductor's sink, as a broker sends
    it (the event in binary mode with Knative's knativeerror* extensions)."""
    from kosmos.contracts.conductor import DEAD_LETTERS_PATH

    url = conductor_url.rstrip("/") + DEAD_LETTERS_PATH

    def send(letter: Any) -> None:
        headers, body = to_binary(letter.envelope)
        headers["ce-knativeerrordest"] = letter.subscriber
        headers["ce-knativeerrordata"] = base64.b64encode(letter.error[:2048].encode()).decode()
        if letter.error_code is not None:
            headers["ce-knativeerrorcode"] = str(letter.error_code)
        resp = requests.post(url, data=body, headers=headers, timeout=timeout)
        if resp.status_code != 200:
            raise DeliveryFailed(f"dead-letter sink answered HTTP {resp.status_code}: "
                                 f"{answer_text(resp.text)}")

    return send


#: CloudEvents context attributes the Envelope holds in fields of its own.
_CE_ATTRIBUTES = {"specversion", "id", "type", "source", "time", "subject"}


class BrokerApp:
    """WSGI ingress for CloudEvents in binary mode (``ce-*`` headers, JSON body)."""

    def __init__(self, route: Callable[[Envelope], None]):
        self.route = route

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        h = request.headers
        raw = request.get_data() if request.method == "POST" else b""
        # Batches are forwarded unread, routed by their subject (the region), as a broker
        # routes by attributes; the checker validates them. Anything else is read here.
        unread = h.get("ce-type") == CHECK_BATCH and bool(h.get("ce-subject"))
        data = None if unread else json_object(raw)
        if not (h.get("ce-type") and h.get("ce-id")
                and (isinstance(data, dict) or unread and raw.lstrip()[:1] == b"{")):
            resp = Response('{"error": "a binary-mode CloudEvent with a JSON object body"}',
                            status=400, mimetype="application/json")
            return resp(environ, start_response)
        extensions = {k[3:].lower(): v for k, v in h.items()
                      if k.lower().startswith("ce-") and k[3:].lower() not in _CE_ATTRIBUTES}
        self.route(Envelope(type=h["ce-type"], data=data, source=h.get("ce-source", ""),
                            id=h["ce-id"], time=h.get("ce-time", ""), subject=h.get("ce-subject"),
                            extensions=extensions, raw=raw))
        return Response(status=202)(environ, start_response)


#: what stays as it is when a path or query is quoted again for the api (RFC 3986)
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?%"

# Hop-by-hop headers stay here; Host goes through, so the api's links name the public URL.
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authorization", "proxy-authenticate", "content-length"}


class Forwarder:
    """Forward a request to the server at ``url`` (``name``) and its answer back."""

    def __init__(self, url: str, name: str, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.name = name
        self.timeout = timeout
        self.client = client_for(self.url, timeout)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        # PATH_INFO arrives percent-decoded (latin-1): quoted again, as the client sent it
        path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe=_PATH_SAFE)
        query = quote(environ.get("QUERY_STRING", "").encode("latin-1"), safe=_QUERY_SAFE)
        target = self.url + path + (f"?{query}" if query else "")
        try:
            upstream = self.client.request(request.method, target, request.get_data() or None,
                                           headers)
        except ValueError as exc:   # a header the client may not send on (a control character)
            body = json.dumps({"error": {"code": 400, "type": "ValidationError",
                                         "message": f"request not forwarded: {exc}", "details": []}})
            return Response(body, status=400, mimetype="application/json")(environ, start_response)
        except TRANSPORT_ERRORS as exc:
            body = json.dumps({"error": {
                "code": 503, "type": "Unavailable", "details": [],
                "message": f"{self.name} is not answering ({exc.__class__.__name__})"}})
            return Response(body, status=503, mimetype="application/json")(environ, start_response)
        out = Response(upstream.body, status=upstream.status)
        out.headers.clear()
        for k, v in upstream.headers.items():
            if k.lower() not in _HOP:   # the body is forwarded as sent, encoding and all
                out.headers.add(k, v)
        return out(environ, start_response)
