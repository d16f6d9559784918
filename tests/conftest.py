"""Fixtures shared by every tier.

Databases:
- ``db_url``: a fresh database, once per backend: ``sqlite`` (a file in
  tmp_path) and ``postgres`` (real PostgreSQL; see tests/fixtures/postgres.py).
  The PostgreSQL one is this session's database, emptied before each test.
- ``conductor_handler``: the real conductor handler ``(envelope) -> (status, body)``
  on ``db_url``; ``conductor``: a ``ConductorClient`` calling it in-process.
- ``sqlite_conductor`` / ``sqlite_conductor_handler``: the same on SQLite only
  (fast; for tests of other areas that need a conductor but not both backends).
- ``pg_server``: the PostgreSQL server, for tests that need their own databases.
"""
from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fixtures.postgres import PostgresServer, find_server, in_ci  # noqa: E402

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _answers_fit_their_operations() -> Iterator[None]:
    """Every conductor answer in an in-process test is checked against its operation's
    result type, so an answer that drifts from the contract fails the test that made it
    (as Unavailable naming the field), whichever way the test called."""
    from kosmos.conductor import dispatch

    run = dispatch._run

    def checked(request, database, stale_intervals):  # noqa: ANN001, ANN202
        result, change = run(request, database, stale_intervals)
        dispatch.OPS[request.op][0].parse(result)
        return result, change
    dispatch._run = checked
    yield
    dispatch._run = run


def _need_postgres(server: PostgresServer | None, why: str) -> PostgresServer:
    if server is None:
        if in_ci():
            pytest.fail(f"PostgreSQL is required in CI: {why}")
        pytest.skip(why)
    return server


@pytest.fixture(scope="session")
def _pg() -> Iterator[tuple[PostgresServer | None, str]]:
    server, why = find_server()
    yield server, why
    if server is not None:
        server.stop()


@pytest.fixture(scope="session")
def pg_server(_pg: tuple[PostgresServer | None, str]) -> PostgresServer:
    """The PostgreSQL server (skips when there is none, fails in CI)."""
    return _need_postgres(*_pg)


@pytest.fixture(scope="session")
def _pg_session_db(pg_server: PostgresServer) -> Iterator[str]:
    """This test session's database, migrated to the newest schema once."""
    from kosmos.conductor.migrate import _run
    url = pg_server.create_database()
    _run(url, "upgrade", "head")
    yield url
    pg_server.drop_database(url)


def _empty_tables(url: str) -> None:
    from sqlalchemy import create_engine, text

    from kosmos.conductor.db.models import Base
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names}"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file copied for each test (faster than migrating each time)."""
    from kosmos.conductor.migrate import _run
    path = tmp_path_factory.mktemp("sqlite-template") / "kosmos.sqlite3"
    _run(f"sqlite:///{path}", "upgrade", "head")
    return path


def _fresh_sqlite(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "kosmos.sqlite3"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> str:
    """A fresh, migrated database URL on each backend."""
    if request.param == "sqlite":
        return _fresh_sqlite(_sqlite_template, tmp_path)
    url = request.getfixturevalue("_pg_session_db")
    _empty_tables(url)
    return url


def _handler(url: str):  # noqa: ANN202
    from kosmos.conductor.app import build_handler
    from kosmos.config import Settings
    return build_handler(url, settings=Settings(), auto_migrate=True)


@pytest.fixture
def conductor_handler(db_url: str) -> Iterator:
    """The real conductor handler ``(envelope) -> (status, body)`` on ``db_url``."""
    handler = _handler(db_url)
    yield handler
    handler.database.dispose()


@pytest.fixture
def conductor(conductor_handler) -> ConductorClient:  # noqa: ANN001
    """A ConductorClient calling the real conductor in-process."""
    return ConductorClient(InProcessTransport(conductor_handler))


@pytest.fixture
def sqlite_conductor_handler(tmp_path: Path, _sqlite_template: Path) -> Iterator:
    handler = _handler(_fresh_sqlite(_sqlite_template, tmp_path))
    yield handler
    handler.database.dispose()


@pytest.fixture
def sqlite_conductor(sqlite_conductor_handler) -> ConductorClient:  # noqa: ANN001
    """A ConductorClient on a fresh SQLite conductor (one backend, fast)."""
    return ConductorClient(InProcessTransport(sqlite_conductor_handler))


# --- real OpenStack services (tests/fixtures/openstack; marker `openstack`) ---------

@pytest.fixture(scope="session")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A real Keystone for this test session (see tests/fixtures/openstack/keystone.py)."""
    from fixtures.openstack.keystone import Keystone
    yield from _service(Keystone(tmp_path_factory.mktemp("keystone")))


def _service(service):
    """Start ``service`` (stopped again if it fails to), yield it, stop it."""
    try:
        service.start()
    except Exception:
        service.stop()
        raise
    yield service
    service.stop()


@pytest.fixture(scope="session")
def designate(keystone, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A real Designate with PowerDNS behind it (tests/fixtures/openstack/designate.py)."""
    from fixtures.openstack.designate import Designate
    yield from _service(Designate(tmp_path_factory.mktemp("designate"), keystone))


@pytest.fixture(scope="session")
def octavia(keystone, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A real Octavia API with the noop provider (tests/fixtures/openstack/octavia.py)."""
    from fixtures.openstack.octavia import Octavia
    yield from _service(Octavia(tmp_path_factory.mktemp("octavia"), keystone))
