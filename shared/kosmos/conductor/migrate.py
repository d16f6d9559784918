"""Schema migrations (Alembic), shipped inside the library.

Production runs them as an upgrade step before rolling the conductor::

    python -m kosmos.conductor.migrate upgrade            # to the newest revision
    python -m kosmos.conductor.migrate downgrade base     # drop everything
    python -m kosmos.conductor.migrate current

The database is ``--database-url`` or the ``KOSMOS_DATABASE_URL`` setting.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from kosmos.conductor.db.engine import make_engine, translated_errors

SCRIPT_LOCATION = "kosmos.conductor:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    # The connection travels in attributes, not the ini: URLs may hold '%'.
    cfg.attributes["connection"] = connection
    return cfg


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


def downgrade_connection(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _run(url: str, action: str, revision: str | None) -> Any:
    engine = make_engine(url)
    try:
        with translated_errors(), engine.begin() as conn:
            if action == "upgrade":
                upgrade_connection(conn, revision or "head")
            elif action == "downgrade":
                downgrade_connection(conn, revision or "-1")
            return current_revision(conn)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kosmos.conductor.migrate",
                                     description="Kosmos database migrations")
    parser.add_argument("action", choices=["upgrade", "downgrade", "current", "heads"])
    parser.add_argument("revision", nargs="?", default=None)
    parser.add_argument("--database-url", default=None)
    ns = parser.parse_args(argv)
    if ns.action == "heads":
        print(head_revision())
        return 0
    url = ns.database_url
    if url is None:
        from kosmos.config import get_settings
        url = get_settings().database_url
    from kosmos.errors import KosmosError
    try:
        rev = _run(url, ns.action, ns.revision)
    except KosmosError as exc:
        print(f"{exc.type_name}: {exc.message}", file=sys.stderr)
        return 1
    print(f"database at revision {rev}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
