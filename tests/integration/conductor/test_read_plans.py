"""The engine's reads look rows up by index, whatever the tables' size.

A few GSLBs are made through the conductor, then copied in SQL, ids rewritten, until
the tables hold thousands of rows; PostgreSQL's plans for one results batch's context
and for one GSLB's tree must then read no table in full. (Only PostgreSQL has these
one-statement reads.)
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fixtures.conductor import SYSTEM, Builder, state
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.postgres

#: the tables of a GSLB's tree, and the columns holding the ids of its rows
TREE = ("monitors", "gslbs", "pools", "gslb_pools", "pool_monitors", "pool_members",
        "health_states")
ID_COLUMNS = {"id", "gslb_id", "pool_id", "monitor_id", "member_id"}
#: copies of each seeded row: 4 GSLBs become 10,000
COPIES = 2499


def _copy_trees(url: str, copies: int) -> None:
    """Copy every tree row ``copies`` times, the k-th copy's ids (and FQDNs) prefixed
    by ``z`` and k (no hex digit: no copy's id is a seeded id), so the copies link to
    each other as the originals do. Triggers are off while copying (the checks
    generation is of no concern to a plan)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in TREE:
                columns = [r[0] for r in conn.execute(text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = :t ORDER BY ordinal_position"), {"t": table})]

                def value(column: str) -> str:
                    if column in ID_COLUMNS:
                        return f"'z' || lpad(CAST(k AS text), 4, '0') || substr({column}, 6)"
                    if table == "gslbs" and column == "fqdn":
                        return f"'z' || k || '-' || {column}"
                    return column
                conn.execute(text(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {', '.join(value(c) for c in columns)} "
                    f"FROM {table}, generate_series(1, {copies}) AS k"))
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def large(pg_server) -> Iterator[tuple[str, list[str], str]]:  # noqa: ANN001
    """A database of 10,000 GSLBs; the member ids and the id of one seeded GSLB."""
    from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
    from kosmos.conductor.app import build_handler
    from kosmos.conductor.migrate import _run

    url = pg_server.create_database("kosmos_plans")
    _run(url, "upgrade", "head")
    handler = build_handler(url, auto_migrate=False)
    build = Builder(ConductorClient(InProcessTransport(handler)))
    members: list[str] = []
    for i in range(4):
        monitor = build.monitor()
        pool = build.pool([monitor])
        pair = [build.member(pool, address=f"192.0.2.{2 * i + n + 1}") for n in range(2)]
        gslb = build.gslb([pool], fqdn=f"plan{i}.example.com.")
        build.call("health.write", {"states": [
            {"state": state(m, monitor["id"], region)} for m in pair
            for region in ("r1", "r2", "r3")]}, SYSTEM)
        members = [m["id"] for m in pair]
    handler.database.dispose()
    _copy_trees(url, COPIES)
    yield url, members, gslb["id"]
    pg_server.drop_database(url)


def _plan_and_result(url: str, statement: Any, params: dict[str, Any]) -> tuple[dict, list]:
    """The JSON plan of ``statement`` and its JSON result, on a database of 10,000 GSLBs."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM gslbs")).scalar_one() == 4 * (
                COPIES + 1)
            plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) {statement.text}"),
                                params).scalar_one()
            read = json.loads(conn.execute(statement, params).scalar_one())
    finally:
        engine.dispose()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return plan[0]["Plan"], read


def _scanned_in_full(plan: dict[str, Any]) -> set[str]:
    """Tables a JSON plan reads by sequential scan."""
    found = {plan["Relation Name"]} if plan.get("Node Type") == "Seq Scan" else set()
    for child in plan.get("Plans", []):
        found |= _scanned_in_full(child)
    return found


@pytest.mark.parametrize("states_only", [False, True])
def test_a_batchs_context_reads_no_table_in_full(large, states_only):
    from kosmos.conductor.db.context_read import _PG_CONTEXT, _PG_STATES

    url, members, _ = large
    plan, read = _plan_and_result(url, _PG_STATES if states_only else _PG_CONTEXT,
                                  {"ids": json.dumps(members), "project": None})
    assert _scanned_in_full(plan) == set()
    # and the read still finds the batch's rows: 2 members, their 6 health rows
    assert [len(part) for part in read] == ([2, 6] if states_only else [2, 1, 1, 1, 6, 1, 1])


def test_one_gslbs_tree_reads_no_table_in_full(large):
    from kosmos.conductor.db.trees_read import _PG_TREES

    from kosmos.engine.gateway import EngineGateway

    url, _, gslb_id = large
    # one page as the engine asks for it (the statement reads one more, to know of a next)
    plan, read = _plan_and_result(url, _PG_TREES, {
        "ids": json.dumps([gslb_id]), "project": None, "marker": None,
        "limit": EngineGateway.page_size + 1})
    assert _scanned_in_full(plan) == set()
    # the GSLB, its pool link, pool, monitor link and 2 members
    assert [len(part) for part in read] == [1, 1, 1, 1, 2]
