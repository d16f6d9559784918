"""The engine's reads look rows up by index, whatever the tables' size.

A few GSLBs are made through the conductor, then copied in SQL, ids rewritten, until
the tables hold thousands of rows; PostgreSQL's plans for one results batch's context,
for one GSLB's tree and for the breaker's summary must then read no table of members,
health rows or GSLBs in full. (Only PostgreSQL has these one-statement reads.)
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fixtures.conductor import SYSTEM
from fixtures.trees import Seeded, grow_to, read_in_full, seed
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.postgres

#: GSLBs in the database: the plans differ from a small one's
GSLBS = 10_000


@pytest.fixture(scope="module")
def large(pg_server) -> Iterator[tuple[str, Seeded]]:  # noqa: ANN001
    """A database of 10,000 GSLBs, and one seeded GSLB's ids."""
    from kosmos.conductor.migrate import _run

    url = pg_server.create_database("kosmos_plans")
    _run(url, "upgrade", "head")
    seeded = seed(url)
    grow_to(url, GSLBS)
    yield url, seeded
    pg_server.drop_database(url)


def _plan_and_result(url: str, statement: Any, params: dict[str, Any]) -> tuple[dict, list]:
    """The JSON plan of ``statement`` and its JSON result."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM gslbs")).scalar_one() == GSLBS
            plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) {statement.text}"),
                                params).scalar_one()
            read = json.loads(conn.execute(statement, params).scalar_one())
    finally:
        engine.dispose()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return plan[0]["Plan"], read


@pytest.mark.parametrize("states_only", [False, True])
def test_a_batchs_context_reads_no_table_in_full(large, states_only):
    from kosmos.conductor.db.context_read import _PG_CONTEXT, _PG_STATES

    url, seeded = large
    plan, read = _plan_and_result(url, _PG_STATES if states_only else _PG_CONTEXT,
                                  {"ids": json.dumps(seeded.member_ids), "project": None})
    assert read_in_full(plan) == set()
    # and the read still finds the batch's rows: 2 members, their 6 health rows
    assert [len(part) for part in read] == ([2, 6] if states_only else [2, 1, 1, 1, 6, 1, 1])


def test_one_gslbs_tree_reads_no_table_in_full(large):
    from kosmos.conductor.db.trees_read import _PG_TREES

    from kosmos.engine.gateway import EngineGateway

    url, seeded = large
    # one page as the engine asks for it (the statement reads one more, to know of a next)
    plan, read = _plan_and_result(url, _PG_TREES, {
        "ids": json.dumps([seeded.gslb_id]), "project": None, "marker": None,
        "limit": EngineGateway.page_size + 1})
    assert read_in_full(plan) == set()
    # the GSLB, its pool link, pool, monitor link and 2 members
    assert [len(part) for part in read] == [1, 1, 1, 1, 2]


def test_the_breakers_summary_reads_only_what_is_down(large):
    """With nothing down, the summary's statement finds the members OFFLINE, the failing
    health rows and the GSLBs HELD through their partial indexes (empty), reading no
    member, health row or GSLB table in full."""
    from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
    from kosmos.conductor.app import build_handler
    from sqlalchemy import event

    url, _ = large
    handler = build_handler(url, auto_migrate=False)
    sent: list[tuple[str, Any]] = []
    event.listen(handler.database.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, params, _ctx, _many: sent.append(
                     (statement, params)))
    try:
        summary = ConductorClient(InProcessTransport(handler)).call(
            "breaker.view", {"summary": True, "suspect_regions": 2}, SYSTEM)
        assert summary == {"offline_members": 0, "suspect_members": 0, "held_count": 0,
                           "endpoints_bound": 0}
        [(statement, params)] = [s for s in sent if "considered" in s[0]]
        raw = handler.database.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", params)
            plan = cursor.fetchone()[0]
        finally:
            raw.close()
    finally:
        handler.database.dispose()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    assert read_in_full(plan[0]["Plan"]) & {"pool_members", "health_states", "gslbs"} == set()
