"""How the conductor's database connections are set up."""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from kosmos.conductor.db.engine import open_pool
from kosmos.conductor.db.session import make_engine
from kosmos_local.harness import wait_for


@pytest.fixture
def engines(_pg_session_db):
    """Engines on the test database (``make_engine``'s settings), disposed afterwards."""
    made = []

    def make(**settings):
        made.append(make_engine(_pg_session_db, **settings))
        return made[-1]
    yield make
    for engine in made:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_connections_send_without_nagle_delay(_pg_session_db):
    """pg8000 leaves Nagle on; a statement then waits ~40 ms for a delayed ACK."""
    engine = make_engine(_pg_session_db)
    try:
        raw = engine.raw_connection()
        try:
            sock = raw.driver_connection._usock
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            raw.close()
    finally:
        engine.dispose()


def _opened(engine) -> list:
    """A list that grows by one for each connection ``engine`` opens."""
    opened: list = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    return opened


def _at_once(callers: int, call) -> None:
    """``call`` on ``callers`` threads started together; returns once all are done."""
    threads = [threading.Thread(target=call) for _ in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.postgres
def test_a_burst_of_calls_reuses_the_pooled_connections(engines):
    """Twenty callers at once on a pool of three: three connections are ever opened;
    the others wait for one rather than opening (and closing) a connection each."""
    engine = engines(pool_size=3)
    opened = _opened(engine)
    start = threading.Barrier(20)

    def call() -> None:
        start.wait()
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(0.05)"))

    _at_once(20, call)
    assert len(opened) == 3
    assert engine.pool.checkedin() == 3


@pytest.mark.postgres
def test_an_opened_pool_serves_a_burst_without_opening_a_connection(engines):
    """``open_pool`` opens every place of the pool and hands them all back; a burst of
    calls as many as the pool holds then opens none (before, each one opened its own)."""
    engine = engines(pool_size=4)
    opened = _opened(engine)
    assert open_pool(engine) == 4
    assert (len(opened), engine.pool.checkedin()) == (4, 4)
    assert open_pool(engine) == 0
    start = threading.Barrier(4)

    def call() -> None:
        with engine.connect() as conn:
            start.wait(10)
            conn.execute(text("SELECT 1"))

    _at_once(4, call)
    assert len(opened) == 4


@pytest.mark.postgres
def test_a_deployed_conductor_opens_its_pool_once_the_schema_is_checked(_pg_session_db):
    """A database built with ``open_early`` (the deployed function's) opens the rest of
    its pool in the background after its first call's schema check; without, it holds
    the one connection that call used."""
    from kosmos.conductor.db.session import Database

    databases = [Database(_pg_session_db, pool_size=3, open_early=early)
                 for early in (True, False)]
    try:
        for database in databases:
            with database.transaction() as session:
                session.connection()
        early, lazy = (d.engine.pool for d in databases)
        wait_for(lambda: early.checkedin() == 3, timeout=10)
        assert lazy.checkedin() == 1
    finally:
        for database in databases:
            database.dispose()


@pytest.mark.postgres
def test_remembered_statement_conversion_is_pg8000s_own(_pg_session_db):
    """The conversion to $n placeholders is remembered per text and equals pg8000's."""
    from pg8000 import legacy
    from sqlalchemy import text

    engine = make_engine(_pg_session_db)
    try:
        convert = legacy.convert_paramstyle
        assert convert.kosmos_remembers
        for query in ["SELECT %s, '%%s', \"a%%b\" -- %s\n FROM t WHERE x = %s",
                      "SELECT $$ %s $$, E'\\' %s', %s", "SELECT 1"]:
            assert convert("format", query, (1, 2)) == convert.original("format", query, (1, 2))
        named = "SELECT :a, :b, :a"
        assert convert("named", named, {"a": 1, "b": 2}) == \
            convert.original("named", named, {"a": 1, "b": 2})
        with engine.connect() as conn:   # and statements still run, with their values
            row = conn.execute(text("SELECT :x || '%' AS v, CAST(:y AS integer) AS w"), {"x": "5", "y": 7}).one()
            assert (row.v, row.w) == ("5%", 7)
    finally:
        engine.dispose()


class _CountingSocket:
    """pg8000's buffered socket, counting the flushes (each one a round trip's start)."""

    def __init__(self, inner):
        self.inner, self.flushes = inner, 0

    def flush(self):
        self.flushes += 1
        return self.inner.flush()

    def __getattr__(self, name):
        return getattr(self.inner, name)


@contextmanager
def _counted(url: str):
    """``(engine, conn, cursor, socket)``: a pg8000 connection of ``make_engine(url)``
    whose socket counts its flushes."""
    engine = make_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            counting = conn._sock = _CountingSocket(conn._sock)
            yield engine, conn, conn.cursor(), counting
        finally:
            raw.close()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_statement_with_values_is_one_round_trip_and_answers_as_before(_pg_session_db):
    """Parse, bind, describe and execute go out together: one flush per statement (pg8000's
    own way takes three); rows, row counts, errors and the transaction behave as before."""
    from pg8000.dbapi import IntegrityError, ProgrammingError
    from sqlalchemy import text

    with _counted(_pg_session_db) as (engine, conn, cur, counting):
        assert conn.execute_unnamed.kosmos_pipelined
        cur.execute("CREATE TEMP TABLE pipe (id integer PRIMARY KEY, v text)")
        before = counting.flushes
        cur.execute("INSERT INTO pipe VALUES (%s, %s), (%s, %s)", (1, "a", 2, None))
        assert counting.flushes - before == 1 and cur.rowcount == 2
        before = counting.flushes
        cur.execute("SELECT id, v FROM pipe WHERE id >= %s ORDER BY id", (1,))
        assert counting.flushes - before == 1
        assert [tuple(r) for r in cur.fetchall()] == [(1, "a"), (2, None)]
        assert [d[0] for d in cur.description] == ["id", "v"]
        cur.execute("SELECT id FROM pipe WHERE id = %s", (99,))
        assert not cur.fetchall()
        with pytest.raises(IntegrityError):
            cur.execute("INSERT INTO pipe VALUES (%s, %s)", (1, "dup"))
        conn.rollback()
        with pytest.raises(ProgrammingError):   # a syntax error, reported at parse
            cur.execute("SELEC %s", (1,))
        conn.rollback()
        cur.execute("SELECT %s::int + 1", (41,))   # the connection is still good
        assert cur.fetchone()[0] == 42
        with engine.connect() as c:   # and through SQLAlchemy
            assert c.execute(text("SELECT :x || 'b' AS v"), {"x": "a"}).scalar() == "ab"


@pytest.mark.postgres
def test_executemany_sends_its_sets_a_group_per_round_trip_and_answers_as_before(_pg_session_db):
    """pg8000 sends one statement per set of values; ours ``MANY`` sets per flush, with the
    same row counts, rows, errors and transaction."""
    from pg8000.dbapi import IntegrityError, ProgrammingError
    from sqlalchemy import bindparam, column, table, update

    from kosmos.conductor.db.pg8000_pipeline import MANY

    with _counted(_pg_session_db) as (engine, conn, cur, counting):
        cur.execute("CREATE TEMP TABLE many (id integer PRIMARY KEY, v text, n integer)")
        sets = [(i, f"v{i}") for i in range(MANY * 2 + 50)]
        before = counting.flushes
        cur.executemany("INSERT INTO many (id, v) VALUES (%s, %s)", sets)
        assert counting.flushes - before == 3 and cur.rowcount == len(sets)
        # sets matching no row count nothing; every other set counts its rows
        before = counting.flushes
        cur.executemany("UPDATE many SET n = %s WHERE id = %s",
                        [(i * 2, i) for i in range(-10, MANY + 10)])
        assert counting.flushes - before == 2 and cur.rowcount == MANY + 10
        with pytest.raises(ProgrammingError):   # no rows to fetch, as pg8000 says
            cur.fetchall()
        cur.execute("SELECT count(*), sum(n) FROM many WHERE n IS NOT NULL")
        assert tuple(cur.fetchone()) == (MANY + 10, sum(i * 2 for i in range(MANY + 10)))
        cur.executemany("UPDATE many SET n = n + 1 WHERE id = %s RETURNING id, n",
                        [(1,), (2,), (999_999,)])
        assert [tuple(r) for r in cur.fetchall()] == [(1, 3), (2, 5)]
        conn.commit()
        with pytest.raises(IntegrityError):   # the third set of the second group is refused
            cur.executemany("INSERT INTO many (id, v) VALUES (%s, %s)",
                            [(10_000 + i, "new") for i in range(MANY + 2)] + [(1, "dup")])
        conn.rollback()
        cur.execute("SELECT count(*) FROM many")   # nothing of it stayed
        assert cur.fetchone()[0] == len(sets)
        conn.rollback()
        many = table("many_orm", column("id"), column("v"))   # through SQLAlchemy, as ops use it
        with engine.begin() as c:
            c.execute(text("CREATE TEMP TABLE many_orm (id integer PRIMARY KEY, v text)"))
            c.execute(text("INSERT INTO many_orm SELECT g, 'a' FROM generate_series(1, 300) g"))
            stmt = update(many).where(many.c.id == bindparam("b_id")).values(v=bindparam("b_v"))
            done = c.execute(stmt, [{"b_id": i, "b_v": f"x{i}"} for i in range(250, 350)])
            assert done.rowcount == 51
            assert c.execute(text("SELECT v FROM many_orm WHERE id = 300")).scalar() == "x300"


@pytest.mark.postgres
def test_a_transactions_begin_goes_out_with_its_first_statement(_pg_session_db):
    """BEGIN is not a round trip of its own: a write transaction of one statement is two
    flushes (statement, commit), not three; and the transaction is one all the same."""
    from pg8000.dbapi import IntegrityError

    with _counted(_pg_session_db) as (_engine, conn, cur, counting):
        cur.execute("CREATE TEMP TABLE tx (id integer PRIMARY KEY)")
        conn.commit()
        before = counting.flushes
        cur.execute("INSERT INTO tx VALUES (%s)", (1,))
        assert conn._in_transaction
        conn.commit()
        assert counting.flushes - before == 2
        cur.execute("INSERT INTO tx VALUES (%s)", (2,))   # undone: BEGIN went first
        conn.rollback()
        cur.execute("SELECT id FROM tx ORDER BY id")       # a statement without values
        assert [r[0] for r in cur.fetchall()] == [1]
        conn.commit()
        with pytest.raises(IntegrityError):                # the first statement fails
            cur.execute("INSERT INTO tx VALUES (%s)", (1,))
        conn.rollback()
        assert not conn._in_transaction
        cur.execute("SELECT count(*) FROM tx")
        assert cur.fetchone()[0] == 1
        conn.rollback()


def _kill_backends(engine) -> None:
    """The server ends every connection the engine's pool holds (as a restart would)."""
    from sqlalchemy import create_engine, text
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    others = ("FROM pg_stat_activity WHERE datname = current_database() "
              "AND pid <> pg_backend_pid()")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) {others}"))
            # termination is signalled, not awaited: wait until they are gone
            wait_for(lambda: conn.execute(text(f"SELECT count(*) {others}")).scalar() == 0, 10,
                     interval=0.05)
    finally:
        admin.dispose()


@pytest.mark.postgres
def test_a_connection_idle_past_the_limit_is_pinged_and_replaced_when_dead(engines):
    from sqlalchemy import text

    engine = engines(pool_size=1, ping_after_idle=0.0)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    _kill_backends(engine)
    with engine.connect() as conn:   # the ping finds it dead: a new connection, no error
        assert conn.execute(text("SELECT 2")).scalar() == 2


@pytest.mark.postgres
def test_a_connection_in_steady_use_is_not_pinged_and_a_dead_one_fails_retryably_once(engines):
    from sqlalchemy import event, text

    from kosmos.conductor.db.engine import translated_errors
    from kosmos.errors import Unavailable

    engine = engines(pool_size=1, ping_after_idle=3600.0)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.append(statement))
    for _ in range(3):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    assert statements == ["SELECT 1"] * 3   # no ping between uses
    _kill_backends(engine)
    with pytest.raises(Unavailable):
        with translated_errors(), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    with engine.connect() as conn:   # the pool replaced the dead connection
        assert conn.execute(text("SELECT 3")).scalar() == 3


@pytest.mark.postgres
def test_a_server_that_refuses_the_connection_is_unavailable_not_a_bug(_pg_session_db):
    """A missing database, or no connection slot left (here: a role limited to none),
    is the server refusing service for now: retryable, not an internal error."""
    from sqlalchemy import create_engine, text

    from kosmos.conductor.db.engine import translated_errors
    from kosmos.errors import Unavailable

    admin = create_engine(_pg_session_db, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP ROLE IF EXISTS kosmos_no_slots"))
        conn.execute(text("CREATE ROLE kosmos_no_slots LOGIN CONNECTION LIMIT 0"))
    url = make_engine(_pg_session_db).url
    try:
        for refused in (url.set(database="kosmos_no_such_database"),
                        url.set(username="kosmos_no_slots")):
            engine = make_engine(refused.render_as_string(hide_password=False))
            try:
                with pytest.raises(Unavailable):
                    with translated_errors(), engine.connect() as conn:
                        conn.execute(text("SELECT 1"))
            finally:
                engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text("DROP ROLE IF EXISTS kosmos_no_slots"))
        admin.dispose()


@pytest.mark.postgres
def test_a_read_runs_without_begin_and_commit_and_a_write_in_it_is_refused(_pg_session_db):
    from sqlalchemy import text

    from kosmos.conductor.db.engine import ReadOnlyViolation
    from kosmos.conductor.db.session import Database

    db = Database(_pg_session_db)
    try:
        with db.transaction() as session:
            session.execute(text("CREATE TABLE IF NOT EXISTS read_probe (n integer)"))
            driver = session.connection().connection.driver_connection
            assert driver._in_transaction   # a write transaction: BEGIN was sent
        with db.reading() as session:
            assert session.execute(text("SELECT count(*) FROM read_probe")).scalar() == 0
            driver = session.connection().connection.driver_connection
            assert driver.autocommit and not driver._in_transaction   # no BEGIN, no COMMIT
        assert driver.autocommit is False   # the pooled connection is back to transactions
        with pytest.raises(ReadOnlyViolation):
            with db.reading() as session:
                session.execute(text("INSERT INTO read_probe VALUES (1)"))
        with db.transaction() as session:
            assert session.execute(text("SELECT count(*) FROM read_probe")).scalar() == 0
            session.execute(text("DROP TABLE read_probe"))
    finally:
        db.dispose()


def test_every_conductor_read_is_declared_and_writes_are_not():
    from kosmos.contracts.operations import CATALOGUE

    reads = {name for name, op in CATALOGUE.items() if op.reads_only}
    assert {"gslb.get", "gslb.list", "engine.context", "checks.due", "conductor.ping"} <= reads
    assert not reads & {"health.write", "gslb.set_answers", "gslb.create", "history.append",
                        "webhook.deliveries.due", "metrics.add", "quota.set"}


@pytest.mark.postgres
def test_timestamps_read_the_same_through_the_fast_reader(engines):
    from datetime import datetime, timedelta, timezone

    from pg8000 import converters
    from sqlalchemy import text

    engine = engines()
    values = ["2026-12-03 10:41:00.123456+00", "2026-12-03 10:41:00+05:30",
              "1999-01-08 04:05:06", "infinity", "10000-01-01 00:00:00", "0044-03-15 00:00:00 BC"]
    with engine.connect() as conn:
        assert conn.connection.driver_connection.pg_types[1184].kosmos_fast
        for v in values:
            for kind, original in (("timestamptz", converters.timestamptz_in),
                                   ("timestamp", converters.timestamp_in)):
                raw = conn.execute(text(f"SELECT CAST(CAST(:v AS {kind}) AS text)"), {"v": v}).scalar()
                got = conn.execute(text(f"SELECT CAST(:v AS {kind})"), {"v": v}).scalar()
                assert got == original(raw), (kind, v, raw)
        at = conn.execute(text("SELECT CAST('2026-12-03 10:41:00.5+00' AS timestamptz)")).scalar()
        assert at == datetime(2026, 12, 3, 10, 41, 0, 500000, tzinfo=timezone.utc)
        assert at.utcoffset() == timedelta(0)
