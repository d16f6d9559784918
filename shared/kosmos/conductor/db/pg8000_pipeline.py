"""One round trip per statement with pg8000, not three.

pg8000 runs a statement with parameters in three exchanges with the server,
each waiting for the last: Parse (and Sync), Describe (and Sync), then Bind,
Execute and Sync. On the conductor's reads every round trip costs both ends a
wake-up and a few system calls: a GSLB's ``get`` (three statements) took
eleven, and the time waiting on them was most of the conductor's CPU per API
request.

``register(conn)`` gives a pg8000 connection an ``execute_unnamed`` that
sends Parse, Bind, Describe (of the portal), Execute and Sync together and
reads the answers once. The server answers them in order: the row description
comes before the rows, so they are decoded as before; an error in any step
makes the server skip to the Sync and report it, which is raised as before.
A ``COPY`` (a statement given a stream) keeps pg8000's own way.

pg8000's ``executemany`` runs the statement once per set of values, each a
round trip: a member status write of a thousand members was a thousand. The
cursors of a registered connection send the sets ``MANY`` at a time instead:
one Parse, then a Bind and an Execute per set (the first set's portal also
Described, for the rows' format), then one Sync; the row counts add up as
pg8000's own add up. A set the server refuses makes it skip the rest of the
group and report the error, raised as ``execute`` raises it, and the
transaction is as after that refused statement.

The ``BEGIN`` pg8000 sends before the first statement of a transaction is
not sent alone either: it waits in the send buffer and goes out with that
statement, and its answer is read before the statement's. A write
transaction of three statements took five round trips; it takes four.
"""
from __future__ import annotations

import types
from typing import Any

#: the portal's Describe message (``D``, then ``P`` and the unnamed portal's empty name)
_DESCRIBE_PORTAL = b"D\x00\x00\x00\x06P\x00"
#: what pg8000 runs to open a transaction
_BEGIN = "begin transaction"
#: sets of values per round trip of an executemany: their answers (about 20 bytes each
#: for a write without RETURNING) stay far below what the sockets buffer, so the
#: server never waits for this end to read while this end is still sending
MANY = 200


def register(dbapi_conn: Any) -> bool:
    """Install the one-round-trip ``execute_unnamed`` on a pg8000 connection; False when
    ``dbapi_conn`` is not one (or not a version this was written for)."""
    try:
        from pg8000 import core
    except ImportError:
        return False
    needed = ("send_PARSE", "send_BIND", "send_EXECUTE", "send_QUERY", "handle_messages",
              "execute_simple", "_sock", "_transaction_status", "cursor")
    if not all(hasattr(dbapi_conn, name) for name in needed) or not all(
            hasattr(core, name) for name in ("Context", "make_params", "_write", "_flush",
                                             "SYNC_MSG", "NULL_BYTE", "IN_TRANSACTION")):
        return False
    if getattr(dbapi_conn.execute_unnamed, "kosmos_pipelined", False):
        return True
    original = dbapi_conn.execute_unnamed
    original_simple = dbapi_conn.execute_simple
    #: the BEGIN written but not yet sent, whose answer is read after the next send
    waiting: list[Any] = []

    def send_and_read(self: Any, context: Any) -> None:
        core._flush(self._sock)
        if waiting:
            began = waiting.pop()
            try:
                self.handle_messages(began)
            except BaseException:
                self.handle_messages(context)   # read the statement's answer all the same
                raise
        self.handle_messages(context)

    def send_waiting(self: Any) -> None:
        """Send the BEGIN still waiting and read its answer (a round trip, as before)."""
        if waiting:
            core._flush(self._sock)
            self.handle_messages(waiting.pop())

    def execute_unnamed(self: Any, statement: str, vals: Any = (), oids: Any = (),
                        stream: Any = None) -> Any:
        if stream is not None:
            send_waiting(self)
            return original(statement, vals=vals, oids=oids, stream=stream)
        context = core.Context(statement)
        params = core.make_params(self.py_types, vals)
        self.send_PARSE(core.NULL_BYTE, statement, oids)
        self.send_BIND(core.NULL_BYTE, params)
        core._write(self._sock, _DESCRIBE_PORTAL)
        self.send_EXECUTE()
        core._write(self._sock, core.SYNC_MSG)
        send_and_read(self, context)
        return context

    def execute_simple(self: Any, statement: str) -> Any:
        if statement == _BEGIN and not waiting:
            # pg8000 runs this before a transaction's first statement, and only then:
            # it goes out with that statement. The transaction counts as begun now, as it
            # will be by the time anything else reaches the server.
            context = core.Context(statement)
            self.send_QUERY(statement)
            self._transaction_status = core.IN_TRANSACTION
            waiting.append(context)
            return context
        send_waiting(self)
        return original_simple(statement)

    def execute_many_unnamed(self: Any, statement: str, sets: list[Any], oids: Any = ()) -> Any:
        """``statement`` once per set of values, in one round trip."""
        context = core.Context(statement)
        self.send_PARSE(core.NULL_BYTE, statement, oids)
        for i, vals in enumerate(sets):
            self.send_BIND(core.NULL_BYTE, core.make_params(self.py_types, vals))
            if i == 0:
                core._write(self._sock, _DESCRIBE_PORTAL)
            self.send_EXECUTE()
        core._write(self._sock, core.SYNC_MSG)
        send_and_read(self, context)
        return context

    original_cursor = dbapi_conn.cursor

    def cursor(self: Any) -> Any:
        made = original_cursor()
        made.executemany = types.MethodType(_executemany, made)
        return made

    execute_unnamed.kosmos_pipelined = True   # type: ignore[attr-defined]
    dbapi_conn.execute_unnamed = types.MethodType(execute_unnamed, dbapi_conn)
    dbapi_conn.execute_simple = types.MethodType(execute_simple, dbapi_conn)
    dbapi_conn.execute_many_unnamed = types.MethodType(execute_many_unnamed, dbapi_conn)
    dbapi_conn.cursor = types.MethodType(cursor, dbapi_conn)
    return True


def _executemany(cursor: Any, operation: str, param_sets: Any) -> Any:
    """pg8000's ``Cursor.executemany``, ``MANY`` sets of values per round trip."""
    from pg8000 import legacy

    sets = list(param_sets)
    if len(sets) < 2:
        return type(cursor).executemany(cursor, operation, sets)
    conn = cursor._c
    statement = legacy.convert_paramstyle(cursor.paramstyle, operation, sets[0])[0]
    total, rows = 0, []
    try:
        if not conn._in_transaction and not conn.autocommit:
            conn.execute_simple(_BEGIN)
        for start in range(0, len(sets), MANY):
            values = [legacy.convert_paramstyle(cursor.paramstyle, operation, s)[1]
                      for s in sets[start:start + MANY]]
            context = conn.execute_many_unnamed(statement, values, oids=cursor._input_oids)
            total = -1 if total == -1 or context.row_count == -1 else total + context.row_count
            rows.extend(context.rows or ())
    except legacy.DatabaseError as exc:
        msg = exc.args[0]
        if not isinstance(msg, dict):
            raise legacy.ProgrammingError(msg) from exc
        kind = {"28000": legacy.InterfaceError, "23505": legacy.IntegrityError}.get(
            msg.get("C"), legacy.ProgrammingError)
        raise kind(msg) from exc
    finally:
        cursor._input_oids = ()
    context.row_count = total
    if context.rows is not None:   # a statement without rows has none to fetch, as before
        context.rows = rows
    cursor._context, cursor._row_iter = context, iter(rows)
    cursor.input_types = []
    return cursor
