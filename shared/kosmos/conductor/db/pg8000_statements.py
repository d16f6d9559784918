"""Convert each distinct SQL text to PostgreSQL's ``$n`` placeholders once, not per call.

pg8000's DB-API cursor rewrites the statement's ``%s`` placeholders by
scanning the whole text character by character on every ``execute``: about
0.2 ms for the conductor's larger queries, a tenth of a simple API request's
CPU in the conductor. SQLAlchemy sends the same few hundred texts again and
again, so the rewrite is remembered per text.

Only the positional styles are remembered (``format``, ``qmark``, ``numeric``:
the one SQLAlchemy uses is ``format``): for them the values pass through
unchanged and the rewritten text depends on the text alone. Named styles
reorder the values and are left to pg8000.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

_POSITIONAL = ("format", "qmark", "numeric")


def install() -> bool:
    """Put the remembering conversion in pg8000's cursor; True once it is in place."""
    try:
        from pg8000 import legacy
    except ImportError:   # not the driver in use
        return False
    original = getattr(legacy, "convert_paramstyle", None)
    if original is None:
        return False
    if getattr(original, "kosmos_remembers", False):
        return True

    @lru_cache(maxsize=2048)
    def rewritten(style: str, query: str) -> str:
        return original(style, query, ())[0]

    def convert_paramstyle(style: str, query: str, args: Any) -> tuple[str, Any]:
        if style in _POSITIONAL and isinstance(query, str):
            return rewritten(style, query), args
        return original(style, query, args)

    convert_paramstyle.kosmos_remembers = True   # type: ignore[attr-defined]
    convert_paramstyle.original = original       # type: ignore[attr-defined]
    legacy.convert_paramstyle = convert_paramstyle
    return True
