"""A real PowerDNS Authoritative server (gsqlite3 backend, API on) per test module."""
from __future__ import annotations

import shutil

import pytest

from fixtures.powerdns import API_KEY, SCHEMA, PowerDns, _missing, free_port  # noqa: F401

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
