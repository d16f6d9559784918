"""The plain-HTTP client between functions, against real servers: the gunicorn server the
runner serves functions with, and raw sockets for the answers gunicorn never gives."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from kosmos.adapters.http_client import TRANSPORT_ERRORS, Client, client_for
from kosmos.adapters.plain_http import PlainClient, ProtocolError
from kosmos_local.wsgiserver import KeepAliveServer


def _echo(environ, start_response):
    n = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(n)
    out = (f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}?{environ.get('QUERY_STRING', '')} "
           f"{environ.get('HTTP_X_THING', '-')} ").encode() + body
    if environ["PATH_INFO"] == "/stream":   # no length: gunicorn sends it chunked
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Two", "a"), ("X-Two", "b")])
        return iter([b"part1-", b"", b"part2-" * 5000, out])
    start_response("201 Created", [("Content-Type", "text/plain"), ("Content-Length", str(len(out)))])
    return [out]


@pytest.fixture
def gunicorn_url():
    listener = socket.create_server(("127.0.0.1", 0))
    server = KeepAliveServer(_echo, listener, threads=4, name="plain-http-test")
    port = listener.getsockname()[1]
    listener.close()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
    thread.join(10)


def test_requests_answers_and_reuses_its_connection(gunicorn_url):
    client = PlainClient(gunicorn_url + "/fn", timeout=5)
    first = client.post(gunicorn_url + "/fn?a=1", b'{"x": 1}', {"X-Thing": "yes"})
    assert first.status == 201
    assert first.body == b'POST /fn?a=1 yes {"x": 1}'
    assert first.headers["content-type"] == "text/plain"
    second = client.request("GET", gunicorn_url + "/other")
    assert second.body == b"GET /other? - "
    assert len(client._idle) == 1   # one connection served both


def test_reads_a_chunked_answer_with_repeated_headers(gunicorn_url):
    answer = PlainClient(gunicorn_url, timeout=5).request("POST", gunicorn_url + "/stream", b"zz")
    assert answer.status == 200
    assert answer.body == b"part1-" + b"part2-" * 5000 + b"POST /stream? - zz"
    assert answer.headers.getlist("x-two") == ["a", "b"]


def test_threads_share_the_client(gunicorn_url):
    client = PlainClient(gunicorn_url, timeout=5)
    bodies: list[bytes] = []

    def call(i: int) -> None:
        for j in range(20):
            bodies.append(client.post(gunicorn_url + f"/t{i}", f"{i}.{j}".encode(), {}).body)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(bodies) == sorted(f"POST /t{i}? - {i}.{j}".encode()
                                    for i in range(8) for j in range(20))
    assert 1 <= len(client._idle) <= 8


@pytest.mark.parametrize("method, path, headers", [
    ("GET", "/a b", {}),
    ("GET", "/a\r\nX-Evil: 1", {}),
    ("GE T", "/a", {}),
    ("GET", "/a", {"X-Thing": "v\r\nX-Evil: 1"}),
    ("GET", "/a", {"X Thing": "v"}),
    ("GET", "/a", {"X-Thing": "nul\x00"}),
])
def test_refuses_control_characters_before_sending(method, path, headers):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(ValueError):
            PlainClient(url, timeout=1).request(method, url + path, None, headers)
        listener.settimeout(0.2)
        with pytest.raises(socket.timeout):
            listener.accept()   # nothing was even connected


def test_refuses_another_origin():
    client = PlainClient("http://127.0.0.1:1/x", timeout=1)
    with pytest.raises(ValueError):
        client.request("GET", "http://127.0.0.1:2/x")
    with pytest.raises(ValueError):
        client.request("GET", "http://127.0.0.1:10/x")


class RawServer:
    """Answers each connection's requests with the next of ``answers`` (bytes), then
    closes it when told to; counts the requests it read."""

    def __init__(self, answers: list[bytes], close_after: int = 1):
        self.answers = list(answers)
        self.close_after = close_after
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                for _ in range(self.close_after):
                    data = b""
                    while b"\r\n\r\n" not in data:
                        more = conn.recv(65536)
                        if not more:
                            break
                        data += more
                    if not data:
                        break
                    self.requests.append(data)
                    if not self.answers:
                        break
                    conn.sendall(self.answers.pop(0))

    def close(self) -> None:
        self.listener.close()


def test_a_connection_closed_while_idle_is_not_reused():
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    server = RawServer([ok, ok])   # one answer per connection, then it closes
    client = PlainClient(server.url, timeout=2)
    assert client.request("GET", server.url + "/1").body == b"ok"
    time.sleep(0.2)   # the server has closed the kept connection
    assert client.request("GET", server.url + "/2").body == b"ok"
    assert len(server.requests) == 2
    server.close()


def test_a_connection_dropped_as_the_request_goes_is_sent_again_once():
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    server = RawServer([ok, ok])
    client = PlainClient(server.url, timeout=2)
    assert client.request("GET", server.url + "/1").body == b"ok"
    time.sleep(0.2)
    sock = client._idle[0]
    client._take = lambda: (sock, True)   # reused without the check: the race it covers
    client._connect = PlainClient._connect.__get__(client)
    assert client.request("GET", server.url + "/2").body == b"ok"
    assert [r.split(b" ")[1] for r in server.requests] == [b"/1", b"/2"]
    server.close()


@pytest.mark.parametrize("answer", [
    b"garbage\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nbroken header\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"",
])
def test_a_broken_answer_is_a_transport_error(answer):
    server = RawServer([answer])
    client = PlainClient(server.url, timeout=2)
    with pytest.raises(ProtocolError):
        client.request("GET", server.url + "/")
    assert issubclass(ProtocolError, TRANSPORT_ERRORS)
    assert client._idle == []
    server.close()


def test_an_answer_without_length_runs_to_the_close():
    server = RawServer([b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"])
    client = PlainClient(server.url, timeout=2)
    assert client.request("GET", server.url + "/").body == b"all of it"
    assert client._idle == []
    server.close()


def test_a_silent_server_times_out():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(TRANSPORT_ERRORS):
            PlainClient(url, timeout=0.5).request("GET", url + "/")
        assert time.monotonic() - started < 5


def test_refused_is_a_transport_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OSError):
        PlainClient(f"http://127.0.0.1:{port}", timeout=1).request("GET", f"http://127.0.0.1:{port}/")


def test_client_for_picks_the_plain_client_unless_tls_or_a_proxy(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    assert isinstance(client_for("http://127.0.0.1:8080/x", 5), PlainClient)
    assert isinstance(client_for("https://conductor.example/x", 5), Client)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    assert isinstance(client_for("http://conductor.example/x", 5), Client)
    monkeypatch.setenv("NO_PROXY", "conductor.example")
    assert isinstance(client_for("http://conductor.example/x", 5), PlainClient)
