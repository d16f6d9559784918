"""Integration parts for the api: the real conductor (tests/conftest.py's
``sqlite_conductor``/``conductor``) and the api served over real HTTP from
functions/api/main.py in a local server thread."""
from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth
from kosmos.api.entry import INSTANCE

ROOT = Path(__file__).resolve().parents[3]
MAIN = ROOT / "functions" / "api" / "main.py"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fuzzing():
    return _load("kosmos_api_fuzzing", ROOT / "tests" / "unit" / "api" / "fuzzing.py")


@pytest.fixture
def function_app():
    """``function_app(api)``: the functions-framework WSGI app of main.py serving ``api``."""
    from functions_framework import create_app

    def make(api: ApiApp):
        INSTANCE.use(api)
        return create_app(target="kosmos_api", source=str(MAIN), signature_type="http")

    yield make
    INSTANCE.use(None)


class LiveServer:
    """A real HTTP server on 127.0.0.1 in a thread."""

    def __init__(self, wsgi_app):
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve():
    """``serve(wsgi_app) -> base URL``; servers stop at teardown."""
    servers: list[LiveServer] = []

    def start(wsgi_app) -> str:
        servers.append(LiveServer(wsgi_app))
        return servers[-1].url

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def api(sqlite_conductor) -> ApiApp:
    """The api over the real conductor on SQLite, noauth."""
    return ApiApp(sqlite_conductor, NoAuth())


@pytest.fixture
def base_url(api, function_app, serve) -> str:
    return serve(function_app(api))


def hdr(project: str = "p1", roles: str = "member") -> dict[str, str]:
    return {"X-Project-Id": project, "X-Roles": roles}


@pytest.fixture
def h():
    return hdr
