"""How the conductor's database connections are set up."""
from __future__ import annotations

import socket

import pytest

from kosmos.conductor.db.session import make_engine


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


@pytest.mark.postgres
def test_a_burst_of_calls_reuses_the_pooled_connections(_pg_session_db):
    """Twenty callers at once on a pool of three: three connections are ever opened;
    the others wait for one rather than opening (and closing) a connection each."""
    import threading

    from sqlalchemy import event, text

    engine = make_engine(_pg_session_db, pool_size=3)
    opened = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    start = threading.Barrier(20)

    def call() -> None:
        start.wait()
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(0.05)"))

    try:
        threads = [threading.Thread(target=call) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(opened) == 3
        assert engine.pool.checkedin() == 3
    finally:
        engine.dispose()


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
