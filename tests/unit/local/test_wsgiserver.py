"""The runner's WSGI server: connections kept alive, a stop that finishes what is in flight."""
from __future__ import annotations

import http.client
import socket
import threading
import time

from kosmos_local.wsgiserver import KeepAliveServer


def _app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(0.5)
    body = f"{environ['PATH_INFO']} on {threading.current_thread().name}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _serving(threads: int = 4) -> tuple[KeepAliveServer, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))
    server = KeepAliveServer(_app, listener, threads=threads, name="test")
    listener.close()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def test_one_connection_serves_many_requests():
    server, thread = _serving()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        for path in ("/a", "/b", "/c"):
            conn.request("GET", path)
            r = conn.getresponse()
            assert (r.status, r.read().decode().split()[0]) == (200, path)
            assert r.getheader("Connection", "").lower() != "close"
        # the same socket throughout: http.client reconnects only after a close
        assert conn.sock is not None
        local = conn.sock.getsockname()
        conn.request("GET", "/d")
        conn.getresponse().read()
        assert conn.sock.getsockname() == local
        conn.close()
    finally:
        server.stop()
        thread.join(10)
    assert not thread.is_alive()


def test_a_stop_lets_a_request_in_flight_finish_then_returns():
    server, thread = _serving()
    got: list[int] = []

    def slow() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/slow")
        got.append(conn.getresponse().status)

    client = threading.Thread(target=slow)
    client.start()
    time.sleep(0.2)   # the request is being served
    server.stop()
    thread.join(10)
    client.join(10)
    assert got == [200] and not thread.is_alive()


def test_a_stop_before_serving_returns_at_once():
    listener = socket.create_server(("127.0.0.1", 0))
    server = KeepAliveServer(_app, listener, threads=2, name="test")
    listener.close()
    server.stop()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
