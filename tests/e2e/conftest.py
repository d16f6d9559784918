"""E2E fixtures: the runner as a subprocess, endpoints on 127.0.0.2-4, a tenant's resources."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from kosmos_local.harness import ADDRESSES, Endpoint, RunnerProcess, common_free_port

ROOT = Path(__file__).resolve().parents[2]


def _loopback_aliases_work() -> bool:
    try:
        with socket.socket() as s:
            s.bind((ADDRESSES[-1], 0))
        return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _needs_loopback_aliases():
    if not _loopback_aliases_work():
        if os.environ.get("CI") == "true":
            pytest.fail("127.0.0.2-4 cannot be bound on this machine")
        pytest.skip("127.0.0.2-4 cannot be bound on this machine")


@pytest.fixture
def endpoints():
    port = common_free_port(ADDRESSES)
    eps = {a: Endpoint(a, port).start() for a in ADDRESSES}
    yield eps
    for e in eps.values():
        e.stop()


@pytest.fixture
def start_runner(tmp_path):
    started: list[RunnerProcess] = []

    def start(regions: list[str] | None = None, db: str | None = None,
              extra: list[str] | None = None, env: dict[str, str] | None = None) -> RunnerProcess:
        r = RunnerProcess(ROOT, tmp_path, db or f"sqlite:///{tmp_path / 'kosmos.sqlite3'}",
                          regions=regions, extra=extra, env=env)
        started.append(r.start())
        return r

    yield start
    for r in started:
        if r.proc is not None:
            print(r.log_tail(200))
        r.stop()
