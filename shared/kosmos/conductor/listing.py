"""List pages: filter by simple fields, sort, and keyset pagination by marker.

A page is ``{"items": [...], "next_marker": id | None}``. The marker is the id
of the last item of the previous page; the next page starts strictly after it
in ``(sort_key, id)`` order, so rows inserted meanwhile never repeat an item.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, Integer, Select, and_, or_, select

from kosmos.contracts.operations import ListArgs
from kosmos.errors import NotFound, ValidationError

COMMON_FIELDS = ("id", "project_id", "name", "description", "provisioning_status",
                 "operating_status")
COMMON_SORTS = ("created_at", "updated_at", "name", "id")


def _coerce(column: Any, value: Any, field: str) -> Any:
    """Query strings arrive as text: turn '1' and 'true' into the column's type."""
    kind = column.type
    try:
        if isinstance(kind, Boolean):
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "1", "yes"):
                return True
            if str(value).lower() in ("false", "0", "no"):
                return False
            raise ValueError
        if isinstance(kind, Integer):
            return int(value)
        if isinstance(kind, Float):
            return float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{field}: {value!r} is not a valid value", field=field) from None
    if not isinstance(value, (str, int, float)):
        raise ValidationError(f"{field}: expected a simple value", field=field)
    return str(value)


def apply_filters(stmt: Select[Any], row_cls: Any, filters: dict[str, Any],
                  allowed: tuple[str, ...]) -> Select[Any]:
    for name, value in filters.items():
        field = f"filters.{name}"
        if name not in allowed:
            raise ValidationError(
                f"cannot filter by {name!r}; allowed: {', '.join(sorted(allowed))}", field=field)
        column = getattr(row_cls, name)
        if isinstance(value, list):
            stmt = stmt.where(column.in_([_coerce(column, v, field) for v in value]))
        elif value is None:
            stmt = stmt.where(column.is_(None))
        else:
            stmt = stmt.where(column == _coerce(column, value, field))
    return stmt


def page(ctx: Any, stmt: Select[Any], row_cls: Any, args: ListArgs,
         allowed_filters: tuple[str, ...], allowed_sorts: tuple[str, ...],
         ) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` (already scoped to the caller) and the next marker."""
    stmt = apply_filters(stmt, row_cls, args.filters, allowed_filters)
    if args.sort_key not in allowed_sorts:
        raise ValidationError(
            f"cannot sort by {args.sort_key!r}; allowed: {', '.join(allowed_sorts)}",
            field="sort_key")
    key = getattr(row_cls, args.sort_key)
    desc = args.sort_dir == "desc"
    if args.marker is not None:
        marker_row = ctx.session.execute(
            select(key, row_cls.id).where(row_cls.id == args.marker)).first()
        if marker_row is None:
            # Gone since the last page was read, or never one of ours: like any id, a 404.
            raise NotFound(f"marker {args.marker} is not an item of this list")
        mkey, mid = marker_row
        if desc:
            stmt = stmt.where(or_(key < mkey, and_(key == mkey, row_cls.id < mid)))
        else:
            stmt = stmt.where(or_(key > mkey, and_(key == mkey, row_cls.id > mid)))
    order = (key.desc(), row_cls.id.desc()) if desc else (key.asc(), row_cls.id.asc())
    rows = list(ctx.session.scalars(stmt.order_by(*order).limit(args.limit + 1)))
    next_marker = rows[args.limit - 1].id if len(rows) > args.limit else None
    return rows[:args.limit], next_marker
