"""Migrations: forward on an empty database, down and up again, and the CLI."""
from __future__ import annotations

import json
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.conductor.app import build_handler
from kosmos.conductor.db.models import Base
from kosmos.conductor.migrate import head_revision, main
from kosmos.config import Settings
from kosmos.contracts.conductor import CallContext

TABLES = {"monitors", "pools", "pool_monitors", "pool_members", "gslbs", "gslb_pools",
          "health_states", "history", "gslb_tombstones", "engine_lag", "webhooks",
          "webhook_deliveries", "metrics", "quotas", "dead_letters", "checks_generation"}


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


_NOW = "2026-11-25 00:00:00"
_ROW = {"project_id": "p", "created_at": _NOW, "updated_at": _NOW, "description": "",
        "provisioning_status": "ACTIVE"}


def _fill_0001(url, pool_id, member_ids):
    """Rows as a 0001 database holds them (no status_version column yet)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO pools (id, name, description, provisioning_status, operating_status,"
                " project_id, created_at, updated_at, version) VALUES (:id, 'pool', "
                ":description, :provisioning_status, 'ONLINE', :project_id, :created_at,"
                " :updated_at, 2)"), {"id": pool_id, **_ROW})
            for i, member_id in enumerate(member_ids):
                conn.execute(text(
                    "INSERT INTO pool_members (id, pool_id, type, address, port, weight,"
                    " admin_state_up, endpoints, endpoints_status, name, description,"
                    " provisioning_status, operating_status, project_id, created_at,"
                    " updated_at, version) VALUES (:id, :pool_id, 'IP', :address, 80, 1,"
                    " :up, :endpoints, 'OK', :name, :description, :provisioning_status,"
                    " 'ONLINE', :project_id, :created_at, :updated_at, :version)"),
                    {"id": member_id, "pool_id": pool_id, "address": f"192.0.2.{i + 1}",
                     "up": True, "endpoints": json.dumps([f"192.0.2.{i + 1}"]),
                     "name": f"m{i}", "version": 3 + i, **_ROW})
    finally:
        engine.dispose()


def test_upgrading_a_populated_0001_database_gives_members_a_status_version(empty_url):
    assert main(["upgrade", "0001", "--database-url", empty_url]) == 0
    pool_id, member_ids = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(3)]
    _fill_0001(empty_url, pool_id, member_ids)
    assert main(["upgrade", "--database-url", empty_url]) == 0
    assert _drift(empty_url) == []
    handler = build_handler(empty_url, settings=Settings(), auto_migrate=False)
    try:
        client = ConductorClient(InProcessTransport(handler))
        ctx, system = CallContext(project_id="p"), CallContext.system()
        got = [client.call("member.get", {"id": i}, ctx) for i in member_ids]
        assert [(g["version"], g["status_version"]) for g in got] == [(3, 1), (4, 1), (5, 1)]
        context = client.call("engine.context", {"member_ids": member_ids}, system)
        assert [m["status_version"] for m in context["members"]] == [1, 1, 1]
        assert client.call("health.write", {"members": [{
            "member_id": member_ids[0], "operating_status": "OFFLINE", "status_reason": "down",
            "expected_version": 1}]}, system) == {"written": 1}
        edited = client.call("member.update", {"id": member_ids[0],
                                               "values": {"weight": 4, "version": 3}}, ctx)
        assert (edited["version"], edited["status_version"]) == (4, 2)
        assert edited["operating_status"] == "OFFLINE"
    finally:
        handler.database.dispose()
    # and back: the rows survive a downgrade to 0001
    assert main(["downgrade", "0001", "--database-url", empty_url]) == 0
    engine = create_engine(empty_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pool_members")).scalar_one() == 3
            assert "status_version" not in {c["name"] for c in inspect(conn).get_columns(
                "pool_members")}
    finally:
        engine.dispose()


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
