"""The client of calls between functions: ``PlainClient`` against urllib3 and requests.

    python bench/bench_http_client.py [--calls 3000] [--rounds 3]

Serves a WSGI app that answers like the conductor (a JSON body of ~800 bytes)
with the server the runner serves functions with (gunicorn's gthread worker,
``kosmos_local.wsgiserver``) in a subprocess, then POSTs a conductor-sized
envelope to it from this process with each client in turn, alternating, over
kept-alive connections. Prints per client the CPU this process spent per call
(the client's own cost: the server is another process) and the wall time per
call. The order turns each round. The machine is shared and noisy: compare the
clients within a round.

The first runs found the client measured first at 44 ms a call, whichever it was:
calls on the first connection to a fresh gunicorn server waited for this end's
delayed ACK. ``PlainClient`` asks for a quick ACK before it reads (without it, it
was that slow in three runs of three with it first; with it, in none of five).
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT / "local")]

from kosmos.adapters.http_client import Client  # noqa: E402
from kosmos.adapters.plain_http import PlainClient  # noqa: E402

SERVER = """
import socket, sys
from kosmos_local.wsgiserver import KeepAliveServer
BODY = b'{"result": {"id": "0b7f", "name": "www", "answers": ["192.0.2.1", "192.0.2.2"]}}' * 10
def app(environ, start_response):
    environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH') or 0))
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(BODY)))])
    return [BODY]
listener = socket.socket(fileno=int(sys.argv[1]))
KeepAliveServer(app, listener, threads=4, name='bench-http-client').serve_forever()
"""


class RequestsClient:
    def __init__(self, url: str):
        self.session = requests.Session()

    def post(self, url: str, body: bytes, headers: dict[str, str]):
        return self.session.post(url, data=body, headers=headers, timeout=10)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    env = {"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT / 'local'}"}
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(listener.fileno())],
                              pass_fds=[listener.fileno()], env=env)
    body = json.dumps({"op": "gslb.get", "args": {"id": "0b7f" * 9},
                       "context": {"project_id": "p", "request_id": "r" * 32}}).encode()
    headers = {"Content-Type": "application/json", "X-Kosmos-Conductor-Token": "t" * 32}
    clients = {"PlainClient": PlainClient(url, 10), "urllib3 (Client)": Client(url, 10),
               "requests.Session": RequestsClient(url)}
    try:
        for name, client in clients.items():   # warm: connections open, code paths hot
            for _ in range(50):
                client.post(url, body, headers)
        for rnd in range(a.rounds):
            line = []
            order = list(clients.items())
            for name, client in order[rnd % len(order):] + order[:rnd % len(order)]:
                cpu, wall = time.process_time(), time.monotonic()
                for _ in range(a.calls):
                    client.post(url, body, headers)
                cpu = (time.process_time() - cpu) / a.calls * 1e6
                wall = (time.monotonic() - wall) / a.calls * 1e6
                line.append(f"{name} {cpu:.0f} us CPU {wall:.0f} us wall")
            print(f"round {rnd + 1}: " + "; ".join(line), flush=True)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
