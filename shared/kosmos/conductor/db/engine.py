"""Database engines and the translation of database errors, at the edge.

- the server is unreachable or the connection broke, or the server refuses
  connections for now (starting up, shutting down, out of connection slots, its
  database or role missing or not yet set up) → ``Unavailable`` (retryable; the
  log says which)
- an ORM version check missed (another writer won) → ``StaleVersion``
- a unique or foreign key constraint fired → ``Conflict``
"""
from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import QueuePool

from kosmos.errors import Conflict, StaleVersion, Unavailable, ValidationError

log = logging.getLogger("kosmos.conductor.db")

_UNREACHABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                sa_exc.TimeoutError)

#: SQLSTATE classes and codes of a server that will not serve this connection now. pg8000
#: raises them at connect as ProgrammingError/DatabaseError, which read as a bug (500)
#: though nothing the caller sent is wrong: 08 connection exception, 28 invalid
#: authorization, 3D000 no such database, 53 insufficient resources (53300 too many
#: connections), 57P01-57P04 shutdown, crash recovery, "cannot connect now", database dropped.
_REFUSING = ("08", "28", "3D000", "53", "57P")


#: a pooled connection unused this long is pinged before it is handed out
PING_AFTER_IDLE_S = 5.0


def make_engine(url: str, pool_size: int = 5, ping_after_idle: float = PING_AFTER_IDLE_S) -> Engine:
    """An engine for ``url`` with the settings each database needs."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as exc:
        raise ValidationError(f"database_url is not a database URL: {exc}",
                              field="database_url") from exc
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return _guarded(engine)
    connect_args: dict[str, Any] = {}
    if parsed.get_driver_name() == "pg8000":
        connect_args["timeout"] = 30
        from kosmos.conductor.db.pg8000_statements import install
        install()
    # No overflow: a call beyond ``pool_size`` waits for a pooled connection (up to
    # pool_timeout, then a retryable Unavailable). Overflow connections are closed as
    # soon as they are returned, so under a burst every extra call opened a new one
    # (a server process forked, pg8000's TLS attempt): that doubled the conductor's CPU
    # per API request at 16 concurrent callers.
    engine = create_engine(parsed, pool_size=pool_size, max_overflow=0,
                           pool_timeout=10, connect_args=connect_args)
    _ping_when_idle(engine, ping_after_idle)
    if parsed.get_driver_name() == "pg8000":
        from kosmos.conductor.db import pg8000_pipeline, pg8000_timestamps
        event.listen(engine, "connect", _tcp_nodelay)
        event.listen(engine, "connect", lambda conn, _record: pg8000_timestamps.register(conn))
        event.listen(engine, "connect", lambda conn, _record: pg8000_pipeline.register(conn))
    event.listen(engine, "handle_error", _socket_error_is_disconnect)
    return _guarded(engine)


def open_pool(engine: Engine) -> int:
    """Open the connections ``engine``'s pool may hold and has not opened yet; how many
    were opened.

    The pool opens a connection when a call finds none free, so the first burst of
    concurrent calls waited for new ones: a server process forked and pg8000's
    start-up, 40 ms each on an idle two-core machine and 0.1-0.5 s on a busy one (at
    1,000 GSLBs, the API load's first second had calls of 0.2-0.5 s waiting for them).
    The connections taken here are held only until the last one is open. A server
    database only: SQLite's connections are a file opened in-process.
    """
    pool = engine.pool
    if engine.dialect.name == "sqlite" or not isinstance(pool, QueuePool):
        return 0
    start, held = pool.overflow(), []
    try:
        while pool.overflow() < 0:   # negative: places not opened yet (no overflow allowed)
            held.append(engine.raw_connection())
    except Exception as exc:  # noqa: BLE001 - calls open what they need, as before
        log.info("could not open the connection pool ahead of calls: %s", exc)
    finally:
        for conn in held:
            conn.close()
    return pool.overflow() - start


def _guarded(engine: Engine) -> Engine:
    """What every engine has: a write refused while a read-only operation runs."""
    event.listen(engine, "before_cursor_execute", _refuse_writes_when_reading)
    return engine


#: ``Connection.info`` key set while a read-only operation holds the connection
READS_ONLY = "kosmos_reads_only"


class ReadOnlyViolation(RuntimeError):
    """An operation declared read-only tried to write (a bug in the operation)."""


def _refuse_writes_when_reading(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    if conn.info.get(READS_ONLY) and not statement.lstrip()[:6].upper().startswith(("SELECT", "WITH")):
        raise ReadOnlyViolation(f"a read-only operation tried to run {statement.split(None, 1)[0]}")


def _socket_error_is_disconnect(context: Any) -> None:
    """pg8000 lets a socket error through unwrapped on some reads (a server that ended
    the connection): SQLAlchemy then neither knows the connection is gone nor wraps the
    error. Mark it a disconnect, so the pool drops that connection; ``translated_errors``
    answers it as retryable."""
    if isinstance(context.original_exception, OSError):
        context.is_disconnect = True


def _ping_when_idle(engine: Engine, idle: float) -> None:
    """Ping a pooled connection before use only when it sat unused for ``idle`` seconds.

    A ping on every checkout (``pool_pre_ping``) was one of the four round trips of
    every read the API makes. A connection in steady use has just proved itself;
    one the server dropped while it was in use fails its statement, which is
    answered as retryable (``Unavailable``), and the pool replaces it.
    """
    def returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    def checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        at = record.info.get("returned_at")
        if at is None or time.monotonic() - at < idle:
            return   # new, or used moments ago
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            cursor.close()
        except Exception as exc:  # noqa: BLE001 - any failure means this connection is gone
            # the pool drops this connection and checks out another (a new one if need be)
            raise sa_exc.DisconnectionError("a pooled connection failed its ping") from exc
    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checkout)


def _tcp_nodelay(dbapi_conn: Any, _record: Any) -> None:
    """Send each message at once (pg8000 leaves Nagle's algorithm on).

    pg8000 writes a statement as several small messages and waits for the
    answer; with Nagle on, the last one waits for the server's delayed ACK,
    about 40 ms on Linux, on many statements with a large parameter.
    """
    sock = getattr(dbapi_conn, "_usock", None)   # pg8000 has no public handle on it
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            log.debug("could not set TCP_NODELAY on the database connection")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    # WAL lets readers proceed while one writer commits; NORMAL is durable enough with WAL.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


#: SQLSTATEs of a transaction the server undid because of another one: a deadlock's
#: victim, a serialization failure. Running it again is the remedy.
_UNDONE = {"40P01", "40001"}


class TransactionUndone(StaleVersion):
    """The database undid this transaction for another's sake; run it again."""


def _sqlstate(exc: sa_exc.DBAPIError) -> str | None:
    orig = exc.orig
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], dict):   # pg8000: the server's fields
        return args[0].get("C")
    return getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise SQLAlchemy/DBAPI errors as Kosmos errors."""
    try:
        yield
    except StaleDataError as exc:
        raise StaleVersion("the row was changed by another writer; read it again") from exc
    except sa_exc.DBAPIError as exc:
        if _sqlstate(exc) in _UNDONE:
            raise TransactionUndone("the database undid this transaction for a concurrent "
                                    "one (deadlock or serialization); run it again") from exc
        if isinstance(exc, sa_exc.IntegrityError):
            log.info("integrity conflict", extra={"error": _first_line(exc.orig)})
            raise Conflict("conflicts with an existing row") from exc
        if isinstance(exc, _UNREACHABLE) or (_sqlstate(exc) or "").startswith(_REFUSING):
            raise _unavailable(exc) from exc
        raise
    except _UNREACHABLE as exc:
        raise _unavailable(exc) from exc
    except OSError as exc:   # a driver's socket error it did not wrap (see above)
        raise _unavailable(exc) from exc


def _unavailable(exc: Exception) -> Unavailable:
    # The driver's text names hosts, ports and users: it goes to the log, never to a caller.
    log.warning("database unavailable", extra={"error": _first_line(getattr(exc, "orig", None)
                                                                      or exc)})
    return Unavailable("the database is unavailable; retry later", retry_after=1.0)


def _first_line(exc: Any) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
