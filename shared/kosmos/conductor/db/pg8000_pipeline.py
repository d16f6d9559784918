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
"""
from __future__ import annotations

import types
from typing import Any

#: the portal's Describe message (``D``, then ``P`` and the unnamed portal's empty name)
_DESCRIBE_PORTAL = b"D\x00\x00\x00\x06P\x00"


def register(dbapi_conn: Any) -> bool:
    """Install the one-round-trip ``execute_unnamed`` on a pg8000 connection; False when
    ``dbapi_conn`` is not one (or not a version this was written for)."""
    try:
        from pg8000 import core
    except ImportError:
        return False
    needed = ("send_PARSE", "send_BIND", "send_EXECUTE", "handle_messages", "_sock")
    if not all(hasattr(dbapi_conn, name) for name in needed) or not all(
            hasattr(core, name) for name in ("Context", "make_params", "_write", "_flush",
                                             "SYNC_MSG", "NULL_BYTE")):
        return False
    if getattr(dbapi_conn.execute_unnamed, "kosmos_pipelined", False):
        return True
    original = dbapi_conn.execute_unnamed

    def execute_unnamed(self: Any, statement: str, vals: Any = (), oids: Any = (),
                        stream: Any = None) -> Any:
        if stream is not None:
            return original(statement, vals=vals, oids=oids, stream=stream)
        context = core.Context(statement)
        params = core.make_params(self.py_types, vals)
        self.send_PARSE(core.NULL_BYTE, statement, oids)
        self.send_BIND(core.NULL_BYTE, params)
        core._write(self._sock, _DESCRIBE_PORTAL)
        self.send_EXECUTE()
        core._write(self._sock, core.SYNC_MSG)
        core._flush(self._sock)
        self.handle_messages(context)
        return context

    execute_unnamed.kosmos_pipelined = True   # type: ignore[attr-defined]
    dbapi_conn.execute_unnamed = types.MethodType(execute_unnamed, dbapi_conn)
    return True
