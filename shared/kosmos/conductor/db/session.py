"""Transactions of one warm conductor on its database.

``Database`` builds its SQLAlchemy engine on first use (never at import), and
``transaction()`` is the only way the conductor touches the database: one
session, one transaction, committed on success and rolled back on any error,
so a failed operation leaves nothing half-written. Database exceptions are
translated at the edge (``kosmos.conductor.db.engine``).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kosmos.conductor.db.engine import (READS_ONLY, ReadOnlyViolation, make_engine, open_pool,
                                        translated_errors)
from kosmos.conductor.migrate import current_revision, head_revision, upgrade_connection
from kosmos.errors import Unavailable

__all__ = ["Database", "make_engine", "translated_errors"]

# Serialises concurrent auto-migrations of several conductors on one PostgreSQL.
_MIGRATION_LOCK_KEY = 0x6B6F736D  # "kosm"

class Database:
    """One warm conductor's database: a lazily built engine and transactions on it."""

    def __init__(self, url: str, *, pool_size: int = 5, auto_migrate: bool = True,
                 open_early: bool = False):
        self.url = url
        self.pool_size = pool_size
        self.auto_migrate = auto_migrate
        self.open_early = open_early   # open the whole pool once the schema is known good
        self._engine: Engine | None = None
        self._schema_ready = False
        self._lock = threading.RLock()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = make_engine(self.url, self.pool_size)
        return self._engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ensure_schema(self) -> None:
        """Once per instance: upgrade to the newest migration when auto-migrate is on,
        else check the database is there (Unavailable until the upgrade step has run)."""
        if self._schema_ready:
            return
        with self._lock:
            if self._schema_ready:
                return
            with translated_errors(), self.engine.begin() as conn:
                if not self.auto_migrate:
                    have, want = current_revision(conn), head_revision()
                    if have != want:
                        raise Unavailable(
                            f"database schema is at revision {have}, this conductor needs {want}: "
                            "run `python -m kosmos.conductor.migrate upgrade`", retry_after=5.0)
                else:
                    if conn.dialect.name == "postgresql":
                        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
                    upgrade_connection(conn)
            self._schema_ready = True
        if self.open_early:
            threading.Thread(target=open_pool, args=(self.engine,), name="kosmos-open-pool",
                             daemon=True).start()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed if the block returns, else rolled back."""
        self.ensure_schema()
        with translated_errors():
            session = Session(self.engine, expire_on_commit=False, autoflush=True)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for an operation that only reads; a statement that would write
        raises (``ReadOnlyViolation``) before it reaches the database.

        On PostgreSQL through pg8000 its statements run without BEGIN and COMMIT, two of
        the three round trips of a one-statement read: at READ COMMITTED, the default
        this conductor keeps, each statement reads its own snapshot whether or not a
        transaction encloses it, so what a read sees is the same."""
        self.ensure_schema()
        with translated_errors():
            session = Session(self.engine, expire_on_commit=False, autoflush=True)
            driver = connection = None
            try:
                connection = session.connection()
                connection.info[READS_ONLY] = True
                raw = connection.connection.driver_connection
                if self.dialect == "postgresql" and type(getattr(raw, "autocommit", None)) is bool \
                        and not getattr(raw, "_in_transaction", True):
                    driver, raw.autocommit = raw, True
                yield session
                if session.new or session.dirty or session.deleted:
                    raise ReadOnlyViolation("a read-only operation left changes to write")
            finally:
                try:
                    if driver is not None:
                        driver.autocommit = False
                    if connection is not None:
                        connection.info.pop(READS_ONLY, None)
                finally:
                    session.close()   # rolls back: nothing to undo

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
