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


def register(dbapi_conn: Any) -> bool:
    """Install the one-round-trip ``execute_unnamed`` on a pg8000 connection; False when
    ``dbapi_conn`` is not one (or not a version this was written for)."""
    try:
        from pg8000 import core
    except ImportError:
        return False
    needed = ("send_PARSE", "send_BIND", "send_EXECUTE", "send_QUERY", "handle_messages",
              "execute_simple", "_sock", "_transaction_status")
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

    execute_unnamed.kosmos_pipelined = True   # type: ignore[attr-defined]
    dbapi_conn.execute_unnamed = types.MethodType(execute_unnamed, dbapi_conn)
    dbapi_conn.execute_simple = types.MethodType(execute_simple, dbapi_conn)
    return True
