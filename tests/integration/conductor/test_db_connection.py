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
