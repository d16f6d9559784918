"""Function processes, the broker's ingress and the forwarding of a request to another server."""
from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest
import requests
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from kosmos.contracts.events import CHECK_BATCH
from kosmos_local.events import DeliveryFailed, Envelope, to_binary
from kosmos_local.ingress import Server
from kosmos_local.harness import free_port
from kosmos_local.procs import BrokerApp, Forwarder, FunctionProcess, http_delivery

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"


def test_broker_takes_binary_cloudevents_into_the_route():
    got: list[Envelope] = []
    client = Client(BrokerApp(got.append))
    env = Envelope(type="kosmos.check.results", data={"region": "R1", "results": []}, subject="s")
    headers, body = to_binary(env)
    assert client.post("/", headers=headers, data=body).status_code == 202
    assert got[0].id == env.id and got[0].type == env.type and got[0].data == env.data
    assert got[0].region == "R1" and got[0].subject == "s"
    assert client.post("/", data=b"not json", headers={"ce-type": "t", "ce-id": "1"}).status_code == 400
    assert client.post("/", json={"a": 1}).status_code == 400   # no ce-* headers
    assert len(got) == 1


def test_the_broker_sends_bodies_on_as_they_came_and_reads_batches_not_at_all():
    got: list[Envelope] = []
    client = Client(BrokerApp(got.append))
    # spacing and key order no serializer here would write: only passing it through keeps them
    body = b'{"region": "R2",   "checks": [{"z": 1, "a": 2.50}]}'
    headers = {"ce-specversion": "1.0", "ce-id": "b1", "ce-source": "s", "ce-type": CHECK_BATCH,
               "ce-subject": "R2", "Content-Type": "application/json"}
    assert client.post("/", headers=headers, data=body).status_code == 202
    batch = got[-1]
    assert batch.region == "R2" and batch._data is None   # routed by subject, not parsed
    assert to_binary(batch)[1] == body
    assert batch.data == {"region": "R2", "checks": [{"z": 1, "a": 2.5}]}   # read when asked
    results = b'{"results": [],  "region": "R1"}'
    assert client.post("/", data=results, headers={**headers, "ce-type": "kosmos.check.results",
                                                   "ce-id": "r1"}).status_code == 202
    assert got[-1].region == "R1" and to_binary(got[-1])[1] == results
    # a batch that is not a JSON object is refused at the door, like any other event
    assert client.post("/", data=b"[1]", headers={**headers, "ce-id": "b2"}).status_code == 400
    assert client.post("/", data=b"[1]", headers={**headers, "ce-type": "kosmos.check.results",
                                                  "ce-id": "r2"}).status_code == 400
    # data given anew is written anew
    assert json.loads(to_binary(got[-1].replace_data({"region": "R1", "results": [1]}))[1]) == {
        "region": "R1", "results": [1]}
    assert len(got) == 2


def _echo(environ, start_response):
    req = Request(environ)
    body = json.dumps({"method": req.method, "path": req.path, "query": req.query_string.decode(),
                       "body": req.get_data(as_text=True), "project": req.headers.get("X-Project-Id"),
                       "host": req.host})
    status = 404 if req.path == "/missing" else 200
    resp = Response(body, status=status, mimetype="application/json")
    resp.headers["Location"] = "http://x/v1/thing"
    return resp(environ, start_response)


def test_a_forwarded_request_and_its_answer_arrive_unchanged():
    upstream = Server("127.0.0.1", 0, _echo, "echo").start()
    try:
        client = Client(Forwarder(upstream.url, "the echo"))
        r = client.put("/v1/gslbs/1?x=1&y=2", data=b'{"ttl": 5}',
                       headers={"X-Project-Id": "p1", "Content-Type": "application/json"})
        assert r.status_code == 200 and r.headers["Location"] == "http://x/v1/thing"
        assert r.get_json() == {"method": "PUT", "path": "/v1/gslbs/1", "query": "x=1&y=2",
                                "body": '{"ttl": 5}', "project": "p1", "host": "localhost"}
        assert client.get("/missing").status_code == 404
        odd = client.get("/v1/gslbs/a%20b%2Fc%C3%A9?name=x%20y&q=%E2%82%AC")
        assert odd.get_json()["path"] == "/v1/gslbs/a b/cé"
        assert odd.get_json()["query"] == "name=x%20y&q=%E2%82%AC"
        bad = client.get("/v1/gslbs", headers={"X-Project-Id": "p1\x01"})
        assert bad.status_code == 400 and bad.get_json()["error"]["type"] == "ValidationError"
    finally:
        upstream.stop()


def test_a_forward_to_a_server_that_is_down_answers_503_json_naming_it():
    r = Client(Forwarder(f"http://127.0.0.1:{free_port('127.0.0.1')}/", "the runner")).get(
        "/_runner/regions")
    assert r.status_code == 503 and r.get_json()["error"]["type"] == "Unavailable"
    assert r.get_json()["error"]["message"].startswith("the runner is not answering")


def _conductor(tmp_path: Path, instances: int = 1,
               extra: list[str] | None = None) -> FunctionProcess:
    """The conductor function on a SQLite database of its own, started."""
    env = {"KOSMOS_DATABASE_URL": f"sqlite:///{tmp_path / 'k.sqlite3'}", "KOSMOS_LOG_FORMAT": "text"}
    return FunctionProcess("conductor", FUNCTIONS / "conductor" / "main.py", "kosmos_conductor",
                           "http", "127.0.0.1", env, instances=instances, extra=extra).start()


def test_a_function_process_serves_ignores_ctrl_c_and_stops_on_sigterm(tmp_path):
    fn = _conductor(tmp_path)
    try:
        fn.wait_ready(60)
        call = {"schema_version": 1, "op": "gslb.list", "context": {"project_id": "p"}, "args": {}}
        assert requests.post(fn.url + "v1/call", json=call, timeout=30).json()["result"]["items"] == []
        proc, = fn.procs
        proc.send_signal(signal.SIGINT)   # Ctrl-C reaches the process group: ignored
        time.sleep(0.5)
        assert proc.poll() is None
        assert requests.get(fn.url + "healthz", timeout=10).status_code == 200
        # events reach it the way the queue delivers them
        deliver = http_delivery(fn.url + "healthz", timeout=10)
        with pytest.raises(DeliveryFailed, match="HTTP 404"):   # not a route: failed, retried
            deliver(Envelope(type="t", data={}))
    finally:
        fn.stop()
    assert proc.returncode == 0


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_a_function_process_started_nicer_has_every_thread_at_that_priority(tmp_path):
    fn = _conductor(tmp_path, extra=["--nice", "3"])
    try:
        fn.wait_ready(60)
        assert requests.get(fn.url + "healthz", timeout=10).status_code == 200
        proc, = fn.procs
        tasks = [int(t.name) for t in Path(f"/proc/{proc.pid}/task").iterdir()]
        assert len(tasks) > 1   # the server's threads, started after the priority was set
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        assert {os.getpriority(os.PRIO_PROCESS, t) for t in tasks} == {min(19, mine + 3)}
    finally:
        fn.stop()


def test_instances_share_the_port_and_one_dying_leaves_the_others_serving(tmp_path):
    fn = _conductor(tmp_path, instances=2)
    try:
        fn.wait_ready(60)
        first, second = fn.procs
        first.kill()
        first.wait(10)
        for _ in range(20):   # every connection now reaches the one left (once it serves)
            assert requests.get(fn.url + "healthz", timeout=60).status_code == 200
        assert second.poll() is None
    finally:
        fn.stop()
    assert second.returncode == 0


def test_an_instance_that_exits_is_replaced_and_a_crash_loop_waits(tmp_path):
    fn = _conductor(tmp_path)
    try:
        fn.wait_ready(60)
        t0 = fn._instances[0].started
        assert fn.revive(t0 + 100) == 0            # nothing exited: nothing started
        crashed, = fn.procs
        crashed.kill()
        crashed.wait(10)
        # it had served a long while: replaced at once, on the same port
        assert fn.revive(t0 + 100) == 1
        assert fn.procs[0] is not crashed
        fn.wait_ready(60)
        assert requests.get(fn.url + "healthz", timeout=60).status_code == 200
        # it dies again at once: a pause of 1 s, then 2 s, before the next start
        for pause in (1.0, 2.0):
            again = fn.procs[0]
            again.kill()
            again.wait(10)
            exited_at = fn._instances[0].started + 1
            assert fn.revive(exited_at) == 0 and fn.procs[0] is again
            assert fn.revive(exited_at + pause - 0.01) == 0
            assert fn.revive(exited_at + pause) == 1 and fn.procs[0] is not again
        fn.wait_ready(60)
        last = fn.procs[0]
    finally:
        fn.stop()
    assert last.returncode == 0
    assert fn.revive() == 0 and fn.procs[0] is last   # stopped: never started again


def test_an_instance_that_cannot_be_started_again_is_tried_later(tmp_path, monkeypatch):
    fn = FunctionProcess("broken", tmp_path / "missing.py", "nothing", "http", "127.0.0.1", {}).start()
    try:
        fn.procs[0].wait(30)   # no source: it exits at once
        t0 = fn._instances[0].started

        def refused() -> None:
            raise OSError("too many open files")
        monkeypatch.setattr(fn, "_spawn", refused)
        assert fn.revive(t0 + 100) == 0           # due at once, refused: tried 1 s later
        monkeypatch.undo()
        assert fn.revive(t0 + 100.5) == 0
        assert fn.revive(t0 + 101) == 1
    finally:
        fn.stop()


def test_a_function_holds_its_port_from_the_start(tmp_path):
    """The port is bound before the child runs: nothing else can take it meanwhile."""
    fn = FunctionProcess("held", tmp_path / "missing.py", "nothing", "http", "127.0.0.1", {})
    try:
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", fn.port))
        with pytest.raises(OSError):   # a second function cannot be given the same port
            FunctionProcess("twin", tmp_path / "missing.py", "nothing", "http", "127.0.0.1", {},
                            port=fn.port)
    finally:
        fn.stop()
    with socket.socket() as again:      # released on stop
        again.bind(("127.0.0.1", fn.port))


def test_a_function_that_cannot_start_says_so(tmp_path):
    fn = FunctionProcess("broken", tmp_path / "missing.py", "nothing", "http", "127.0.0.1", {}).start()
    try:
        fn.wait_ready(30)
    except RuntimeError as exc:
        assert "broken exited" in str(exc)
    else:
        raise AssertionError("a function without source came up")
    finally:
        fn.stop()
