"""Migrations: forward on an empty database, down and up again, and the CLI."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.conductor.app import build_handler
from kosmos.conductor.db.models import Base
from kosmos.conductor.migrate import head_revision, main
from kosmos.config import Settings
from kosmos.contracts.conductor import CallContext

TABLES = {"monitors", "pools", "pool_monitors", "pool_members", "gslbs", "gslb_pools",
          "health_states", "history", "gslb_tombstones"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server = request.getfixturevalue("pg_server")
    url = server.create_database("kosmos_migrate")
    yield url
    server.drop_database(url)


def _tables(url):
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _drift(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()


def test_upgrade_empty_then_down_and_up_again(empty_url, capsys):
    assert main(["upgrade", "--database-url", empty_url]) == 0
    assert f"revision {head_revision()}" in capsys.readouterr().out
    assert _tables(empty_url) == TABLES
    assert _drift(empty_url) == []  # the migration builds exactly the models' schema
    assert main(["downgrade", "base", "--database-url", empty_url]) == 0
    assert _tables(empty_url) == set()
    assert main(["upgrade", "--database-url", empty_url]) == 0
    assert _tables(empty_url) == TABLES and _drift(empty_url) == []


def test_upgrade_keeps_the_data_of_a_migrated_database(empty_url):
    handler = build_handler(empty_url, settings=Settings(), auto_migrate=True)
    try:
        client = ConductorClient(InProcessTransport(handler))
        ctx = CallContext(project_id="p")
        made = client.call("monitor.create", {"values": {"type": "PING"}}, ctx)
    finally:
        handler.database.dispose()
    assert main(["upgrade", "--database-url", empty_url]) == 0  # already at head: no-op
    handler = build_handler(empty_url, settings=Settings(), auto_migrate=False)
    try:
        client = ConductorClient(InProcessTransport(handler))
        assert client.call("monitor.get", {"id": made["id"]}, ctx) == made
    finally:
        handler.database.dispose()


def test_cli_reports_an_unreachable_database(capsys):
    assert main(["current", "--database-url", "postgresql+pg8000://postgres@127.0.0.1:1/x"]) == 1
    assert "Unavailable" in capsys.readouterr().err
    assert main(["heads"]) == 0


def test_without_auto_migrate_an_old_schema_is_unavailable_until_upgraded(empty_url):
    handler = build_handler(empty_url, settings=Settings(), auto_migrate=False)
    envelope = {"schema_version": 1, "op": "monitor.list",
                "context": {"project_id": "p"}, "args": {}}
    try:
        status, body = handler(envelope)
        assert status == 503 and body["error"]["type"] == "Unavailable"
        assert "kosmos.conductor.migrate upgrade" in body["error"]["message"]
        assert main(["upgrade", "--database-url", empty_url]) == 0
        status, body = handler(envelope)
        assert status == 200 and body["result"]["items"] == []
    finally:
        handler.database.dispose()
