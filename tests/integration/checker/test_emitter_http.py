"""HttpEmitter against a real local CloudEvents sink."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kosmos.adapters.emitter import HttpEmitter
from kosmos.contracts.events import CHECK_RESULTS, CHECK_TICK, CheckTick
from kosmos.errors import KosmosError, Unavailable


@pytest.fixture
def sink():
    received = []
    status = {"code": 202}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), json.loads(body)))
            self.send_response(status["code"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", received, status
    server.shutdown()
    server.server_close()


def test_binary_mode_cloudevent_reaches_the_sink(sink):
    url, received, _ = sink
    pub = HttpEmitter(url, source="//kosmos/checker/R1")
    ev = pub.emit(CHECK_TICK, CheckTick(region="R1", scheduled_at="2030-01-01T00:00:00Z"),
                     event_id="abc", subject="R1")
    headers, body = received[0]
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["ce-specversion"] == "1.0" and headers["ce-type"] == CHECK_TICK
    assert headers["ce-id"] == "abc" and headers["ce-source"] == "//kosmos/checker/R1"
    assert headers["ce-subject"] == "R1" and headers["content-type"] == "application/json"
    assert headers["ce-time"] == ev.time.isoformat()
    assert body == ev.data and body["region"] == "R1"


def test_sink_errors_are_translated(sink):
    url, _, status = sink
    pub = HttpEmitter(url)
    data = {"region": "R1", "scheduled_at": "2030-01-01T00:00:00Z"}
    status["code"] = 503
    with pytest.raises(Unavailable):
        pub.emit(CHECK_TICK, data)
    status["code"] = 400
    with pytest.raises(KosmosError) as err:
        pub.emit(CHECK_TICK, data)
    assert not err.value.retryable


def test_unreachable_sink_is_unavailable():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(Unavailable):
        HttpEmitter(f"http://127.0.0.1:{port}/", timeout=2).emit(
            CHECK_TICK, {"region": "R1", "scheduled_at": "2030-01-01T00:00:00Z"})


def test_the_body_is_utf8_json_that_reads_back_as_the_data(sink):
    url, received, _ = sink
    pub = HttpEmitter(url)
    result = {"member_id": "m", "monitor_id": "mon", "address": "192.0.2.1", "ok": False,
              "latency_ms": 0.125, "reason": "body lacks 'café ✓'",
              "checked_at": "2030-01-01T00:00:00.000001Z"}
    ev = pub.emit(CHECK_RESULTS, {"region": "R1", "checker_id": "c", "results": [result]})
    _, body = received[0]
    assert body == ev.data and body["results"][0]["reason"] == "body lacks 'café ✓'"
