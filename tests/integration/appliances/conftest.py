"""A real PowerDNS Authoritative server (gsqlite3 backend, API on) per test module."""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

SCHEMA = Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql")
API_KEY = "kosmos-test-key"


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (run scripts/install-system-deps.sh as root)")
    pytest.skip(what)


class PowerDns:
    def __init__(self, workdir: Path):
        self.dir = workdir
        self.dns_port = free_port()
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.proc: subprocess.Popen | None = None

    def configure(self) -> None:
        db = self.dir / "pdns.sqlite3"
        if not db.exists():
            with sqlite3.connect(db) as conn:
                conn.executescript(SCHEMA.read_text())
        (self.dir / "pdns.conf").write_text("\n".join([
            "launch=gsqlite3", f"gsqlite3-database={db}",
            "local-address=127.0.0.1", f"local-port={self.dns_port}",
            "webserver=yes", "webserver-address=127.0.0.1", f"webserver-port={self.api_port}",
            "webserver-allow-from=127.0.0.0/8", "api=yes", f"api-key={API_KEY}",
            f"socket-dir={self.dir}", "guardian=no", "daemon=no", "disable-syslog=yes",
            "loglevel=4", "cache-ttl=0", "negquery-cache-ttl=0", "query-cache-ttl=0",
            "security-poll-suffix=", ""]))

    def start(self) -> None:
        self.configure()
        log = open(self.dir / "pdns.log", "ab")
        self.proc = subprocess.Popen(["pdns_server", f"--config-dir={self.dir}"],
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pdns_server exited: {(self.dir / 'pdns.log').read_text()[-2000:]}")
            try:
                if requests.get(f"{self.api_url}/api/v1/servers/localhost",
                                headers={"X-API-Key": API_KEY}, timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("pdns_server did not start its API")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def create_zone(self, zone: str) -> None:
        resp = requests.post(f"{self.api_url}/api/v1/servers/localhost/zones",
                             headers={"X-API-Key": API_KEY},
                             json={"name": zone, "kind": "Native", "nameservers": [f"ns1.{zone}"]},
                             timeout=5)
        assert resp.status_code in (201, 409), resp.text


@pytest.fixture(scope="module")
def powerdns(tmp_path_factory):
    if not shutil.which("pdns_server"):
        _missing("pdns_server is not installed")
    if not SCHEMA.exists():
        _missing("pdns-backend-sqlite3 is not installed")
    server = PowerDns(tmp_path_factory.mktemp("pdns"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
