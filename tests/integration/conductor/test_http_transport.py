"""The conductor function served over real HTTP, called with the production client."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from functions_framework import create_app
from werkzeug.serving import make_server

from kosmos.adapters.conductor_client import ConductorClient, HttpTransport
from kosmos.adapters.plain_http import PlainClient
from kosmos.conductor import http as conductor_http
from kosmos.config import reset_settings
from kosmos.contracts.conductor import CallContext
from kosmos.errors import NotAuthenticated, NotFound, StaleVersion, Unavailable, ValidationError

SOURCE = Path(__file__).resolve().parents[3] / "functions" / "conductor" / "main.py"
CTX = CallContext(project_id="p1")


@pytest.fixture
def server_url(monkeypatch, tmp_path):
    monkeypatch.setenv("KOSMOS_DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite3'}")
    monkeypatch.setenv("KOSMOS_CONDUCTOR_TOKEN", "t0ken")
    monkeypatch.setenv("KOSMOS_LOG_FORMAT", "text")
    reset_settings()
    conductor_http.INSTANCE.use(None)
    app = create_app("kosmos_conductor", str(SOURCE), "http")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    thread.join(10)
    if conductor_http.INSTANCE.held is not None:
        conductor_http.INSTANCE.held.database.dispose()
        conductor_http.INSTANCE.use(None)
    reset_settings()


def test_typed_errors_cross_real_http(server_url):
    client = ConductorClient(HttpTransport(server_url, timeout=10, token="t0ken"))
    m = client.call("monitor.create", {"values": {"type": "HTTP", "name": "a"}}, CTX)
    assert client.call("monitor.get", {"id": m["id"]}, CTX)["name"] == "a"
    client.call("monitor.update", {"id": m["id"], "values": {"name": "b", "version": 1}}, CTX)
    with pytest.raises(StaleVersion):
        client.call("monitor.update", {"id": m["id"], "values": {"name": "c", "version": 1}}, CTX)
    with pytest.raises(NotFound):
        client.call("monitor.get", {"id": "00000000-0000-0000-0000-000000000000"}, CTX)
    with pytest.raises(ValidationError) as err:
        client.call("monitor.create", {"values": {"type": "HTTP", "delay": -1}}, CTX)
    assert err.value.field == "delay"
    with pytest.raises(NotAuthenticated):
        ConductorClient(HttpTransport(server_url, token="wrong")).call("monitor.list", {}, CTX)


def test_conductor_not_listening_is_unavailable(server_url):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = ConductorClient(HttpTransport(f"http://127.0.0.1:{port}/", timeout=2))
    with pytest.raises(Unavailable):
        client.call("monitor.list", {}, CTX)


def test_the_environment_is_read_once_when_the_transport_is_made(server_url, monkeypatch):
    """Proxy, no-proxy and CA settings are taken when the transport is made; a call does
    not consult the environment again."""
    import requests.utils

    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/kosmos/ca.pem")
    direct = HttpTransport(server_url, timeout=10, token="t0ken")
    assert isinstance(direct.client, PlainClient)   # plain HTTP, no proxy: the lean client
    assert HttpTransport("https://conductor.example/", timeout=10).client.ca_bundle == \
        "/etc/kosmos/ca.pem"
    monkeypatch.delenv("NO_PROXY")
    proxied = HttpTransport(server_url, timeout=10, token="t0ken")
    assert proxied.client.proxy == "http://proxy.invalid:3128"

    def not_per_call(*_args, **_kwargs):
        raise AssertionError("the environment was read again on a call")
    monkeypatch.setattr(requests.utils, "get_environ_proxies", not_per_call)
    client = ConductorClient(direct)
    assert client.call("conductor.ping", {}, CTX) is not None
    with pytest.raises(Unavailable):   # through the (unreachable) proxy it was given
        ConductorClient(proxied).call("conductor.ping", {}, CTX)


def test_typed_answers_are_read_from_the_body_as_it_came(server_url):
    """``invoke`` reads a success straight into the operation's result type; errors keep
    their types; an answer that does not fit the type is Unavailable naming the field."""
    from kosmos.contracts.operations import CATALOGUE, GSLB_TREES

    client = ConductorClient(HttpTransport(server_url, timeout=10, token="t0ken"))
    m = client.call("monitor.create", {"values": {"type": "HTTP", "name": "a"}}, CTX)
    got = client.invoke(CATALOGUE["monitor.get"], {"id": m["id"]}, CTX)
    assert (type(got).__name__, got.id, got.name) == ("Monitor", m["id"], "a")
    assert client.invoke(GSLB_TREES, {"limit": 10}).items == []
    with pytest.raises(NotFound):
        client.invoke(CATALOGUE["monitor.get"], {"id": "00000000-0000-0000-0000-000000000000"}, CTX)
    wrong = CATALOGUE["monitor.get"].__class__(name="monitor.get", args=CATALOGUE["monitor.get"].args,
                                               summary="", result=CATALOGUE["health.heartbeat"].result)
    with pytest.raises(Unavailable) as err:   # a conductor of another version, say
        client.invoke(wrong, {"id": m["id"]}, CTX)
    assert err.value.field.startswith("result")
