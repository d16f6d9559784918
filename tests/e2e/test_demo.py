"""`make demo` (scripts/demo.sh) tells the README's story against a runner, and runs
twice in a row: every HTTP error would stop it, and its names are its own."""
from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
import subprocess
import sys

import pytest

from kosmos_local.harness import ADDRESSES, common_free_port

from .conftest import ROOT

pytestmark = pytest.mark.e2e


def test_the_demo_runs_twice_in_a_row(start_runner):
    runner = start_runner()
    env = {**os.environ, "KOSMOS_API": runner.url, "KOSMOS_DNS_PORT": str(runner.dns_port),
           "DEMO_PORT": str(common_free_port(ADDRESSES)), "PYTHON": sys.executable}
    for run in (1, 2):
        done = subprocess.run(["bash", str(ROOT / "scripts" / "demo.sh")], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"run {run}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        assert "-> 127.0.0.2 127.0.0.3 127.0.0.4" in done.stdout
        assert "-> 127.0.0.2 127.0.0.4" in done.stdout, done.stdout
        assert "gslb 127.0.0.2,127.0.0.3,127.0.0.4 -> 127.0.0.2,127.0.0.4" in done.stdout, done.stdout
    gslbs = subprocess.run(["curl", "-sS", "-H", "X-Project-Id: demo", f"{runner.url}/v1/gslbs"],
                           capture_output=True, text=True, timeout=30).stdout
    assert '"gslbs": []' in gslbs.replace('"gslbs":[]', '"gslbs": []')   # cleaned up


def test_the_demo_stops_at_an_http_error(tmp_path):
    """An API that is up but refuses the first create: the demo stops there, loudly."""
    class Refusing(BaseHTTPRequestHandler):
        def do_GET(self):   # noqa: N802 - the health check passes
            self.send_response(200)
            self.end_headers()

        def do_POST(self):   # noqa: N802 - every create is refused
            self.send_response(409)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"type": "Conflict", "message": "taken"}}')

        def log_message(self, *args):
            pass
    server = HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "KOSMOS_API": f"http://127.0.0.1:{server.server_port}",
           "PYTHON": sys.executable, "DEMO_PORT": str(common_free_port(ADDRESSES))}
    try:
        done = subprocess.run(["bash", str(ROOT / "scripts" / "demo.sh")], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert done.returncode != 0 and "409" in done.stderr + done.stdout
    assert "dies" not in done.stdout                       # it did not go on
