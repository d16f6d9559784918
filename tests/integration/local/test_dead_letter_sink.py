"""The runner's queue sends what exhausts its retries to the conductor's dead-letter sink
(the conductor in a process of its own, on a SQLite file), as a broker does; the API
reads it back."""
from __future__ import annotations

from pathlib import Path

from werkzeug.test import Client
from werkzeug.wrappers import Request

from kosmos.adapters.conductor_client import ConductorClient, HttpTransport
from kosmos.api.app import ApiApp
from kosmos.api.auth import NoAuth
from kosmos_local.events import DeliveryFailed, Envelope
from kosmos_local.procs import FunctionProcess, dead_letter_sink
from kosmos_local.queue import EventQueue

ROOT = Path(__file__).resolve().parents[3]


def test_a_dead_letter_of_the_runner_reaches_get_dead_letters(tmp_path):
    conductor = FunctionProcess(
        "conductor", ROOT / "functions" / "conductor" / "main.py", "kosmos_conductor", "http",
        "127.0.0.1", {"KOSMOS_DATABASE_URL": f"sqlite:///{tmp_path / 'k.sqlite3'}",
                      "KOSMOS_LOG_LEVEL": "WARNING"}).start()
    queue = EventQueue(max_attempts=2, backoff=0.01, on_dead=dead_letter_sink(conductor.url))
    try:
        conductor.wait_ready()

        def engine_down(env: Envelope) -> None:
            raise DeliveryFailed(f"{env.type} answered HTTP 503: conductor unavailable")

        queue.subscribe("engine", engine_down)
        queue.start()
        env = Envelope(type="kosmos.check.results", data={"region": "RegionOne", "results": []},
                       source="//kosmos/checker/RegionOne", subject="RegionOne")
        queue.put("engine", env)
        assert queue.wait_idle(10)

        api = ApiApp(ConductorClient(HttpTransport(conductor.url, 10.0)), NoAuth())
        client = Client(lambda environ, start: api(Request(environ))(environ, start))
        resp = client.get("/v1/dead_letters", headers={"X-Project-Id": "ops", "X-Roles": "admin"})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        (letter,) = resp.get_json()["dead_letters"]
        assert letter["event_id"] == env.id and letter["event_type"] == "kosmos.check.results"
        assert letter["destination"] == "engine" and letter["error_code"] == 503
        assert "conductor unavailable" in letter["error"]
        assert letter["data"] == env.data
        # and the runner's own list has the same shape
        mine = queue.dead_letters[0].record()
        assert {k: mine[k] for k in letter if k not in ("id", "received_at")} == \
            {k: letter[k] for k in letter if k not in ("id", "received_at")}
    finally:
        queue.stop()
        conductor.stop()
