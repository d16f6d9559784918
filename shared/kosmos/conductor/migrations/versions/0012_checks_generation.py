"""Checks generation

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

One row counting the writes that change what checks.due answers, bumped by triggers
on the four tables it reads, so that every checker's tick learns "nothing changed"
from one row instead of aggregating every member, pool and monitor (at 10,000 GSLBs
that aggregate took 0.2-0.6 s of the database, three times a second).

What counts (the columns checks.due returns or filters on):
- a member made, deleted, or one of its checked columns changed (the engine's status
  writes do not count);
- a pool's link to a monitor made, deleted or changed;
- a pool's regions or project changed (a pool with no member checks nothing yet);
- a monitor's probe settings changed while it is on a pool (a monitor on no pool is
  probed nowhere; linking it counts as a link).

On PostgreSQL the triggers are deferred constraint triggers: the counter's row is
locked only while the writing transaction commits, so writers do not hold it across
their other row locks (no deadlock), and the bump becomes visible with the rows.
On SQLite a later migration that rebuilds one of these tables (batch mode copies it)
drops its triggers: it must create them again.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

MEMBER = ("id", "pool_id", "project_id", "type", "address", "endpoints", "port", "region",
          "neutron_id")
LINK = ("pool_id", "monitor_id", "position")
POOL = ("regions", "project_id")
MONITOR = ("type", "delay", "timeout", "max_retries", "max_retries_down", "port",
           "http_method", "url_path", "expected_codes", "receive_string", "headers",
           "payload", "ca_cert", "insecure", "options")
JSON_COLUMNS = {"endpoints", "regions", "expected_codes", "headers", "payload", "options"}
# (table, columns whose change counts, whether making or deleting a row counts)
WATCHED = (("pool_members", MEMBER, True), ("pool_monitors", LINK, True),
           ("pools", POOL, False), ("monitors", MONITOR, False))


def _changed(columns: tuple[str, ...], postgres: bool) -> str:
    """SQL true when an update changed one of ``columns`` (JSON compared as text)."""
    def side(row: str, c: str) -> str:
        return f"{row}.{c}::text" if postgres and c in JSON_COLUMNS else f"{row}.{c}"
    op_ = "IS DISTINCT FROM" if postgres else "IS NOT"
    return " OR ".join(f"{side('OLD', c)} {op_} {side('NEW', c)}" for c in columns)


def _postgres() -> None:
    op.execute("""
        CREATE FUNCTION kosmos_checks_bump() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_TABLE_NAME = 'monitors' THEN  -- plpgsql would type NEW.id on every table
                IF NOT EXISTS (SELECT 1 FROM pool_monitors WHERE monitor_id = NEW.id) THEN
                    RETURN NULL;
                END IF;
            END IF;
            INSERT INTO checks_generation (id, epoch, value)
                VALUES (1, md5(random()::text || clock_timestamp()::text), 1)
                ON CONFLICT (id) DO UPDATE SET value = checks_generation.value + 1;
            RETURN NULL;
        END $$""")
    for table, columns, rows_count in WATCHED:
        if rows_count:
            op.execute(f"""
                CREATE CONSTRAINT TRIGGER kosmos_checks_{table}_rows
                AFTER INSERT OR DELETE ON {table}
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
                EXECUTE FUNCTION kosmos_checks_bump()""")
        op.execute(f"""
            CREATE CONSTRAINT TRIGGER kosmos_checks_{table}_update
            AFTER UPDATE OF {", ".join(columns)} ON {table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
            WHEN ({_changed(columns, True)})
            EXECUTE FUNCTION kosmos_checks_bump()""")


_SQLITE_BUMP = ("INSERT OR IGNORE INTO checks_generation (id, epoch, value) "
                "VALUES (1, lower(hex(randomblob(16))), 0); "
                "UPDATE checks_generation SET value = value + 1 WHERE id = 1;")


def _sqlite() -> None:
    for table, columns, rows_count in WATCHED:
        if rows_count:
            for event in ("INSERT", "DELETE"):
                op.execute(f"""
                    CREATE TRIGGER kosmos_checks_{table}_{event.lower()}
                    AFTER {event} ON {table}
                    BEGIN {_SQLITE_BUMP} END""")
        linked = (" AND EXISTS (SELECT 1 FROM pool_monitors WHERE monitor_id = NEW.id)"
                  if table == "monitors" else "")
        op.execute(f"""
            CREATE TRIGGER kosmos_checks_{table}_update
            AFTER UPDATE OF {", ".join(columns)} ON {table}
            WHEN ({_changed(columns, False)}){linked}
            BEGIN {_SQLITE_BUMP} END""")


def upgrade() -> None:
    op.create_table(
        'checks_generation',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column('epoch', sa.String(64), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres()
    else:
        _sqlite()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, _columns, rows_count in WATCHED:
        names = [f"kosmos_checks_{table}_update"]
        if rows_count:
            names += ([f"kosmos_checks_{table}_rows"] if postgres else
                      [f"kosmos_checks_{table}_insert", f"kosmos_checks_{table}_delete"])
        for name in names:
            op.execute(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}")
    if postgres:
        op.execute("DROP FUNCTION kosmos_checks_bump()")
    op.drop_table('checks_generation')
