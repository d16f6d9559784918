"""What every operation shares: the registry, the call's scope, argument parsing.

An operation is a plain function ``(ctx: OpContext, args) -> JSON-ready result``
registered on its ``Operation`` (``kosmos.contracts.operations``) with
``@op(POOL_GET)``; the dispatcher validates the call's arguments with the
operation's model and passes the model. It runs inside the transaction the
dispatcher opened (``ctx.session``); raising any ``KosmosError`` rolls the
whole operation back.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from kosmos.contracts.conductor import CallContext
from kosmos.contracts.operations import Operation, UpdateArgs
from kosmos.contracts.resources import RECORD_MODELS
from kosmos.errors import Conflict, NotFound, StaleVersion, ValidationError, from_pydantic

OpFunc = Callable[["OpContext", Any], Any]
#: operation name → (the operation, its handler)
OPS: dict[str, tuple[Operation, OpFunc]] = {}
M = TypeVar("M", bound=BaseModel)


def op(operation: Operation) -> Callable[[OpFunc], OpFunc]:
    """Register the handler of ``operation``."""
    def register(fn: OpFunc) -> OpFunc:
        if operation.name in OPS:
            raise RuntimeError(f"operation {operation.name} registered twice")
        OPS[operation.name] = (operation, fn)
        return fn
    return register


@dataclass
class OpContext:
    session: Session
    call: CallContext
    now: datetime
    dialect: str
    stale_intervals: float = 3.0
    # Set by ``changes.note_change``: the GSLBs this write may change, for the engine.
    change: Any = None

    def for_update(self, stmt: Select, row_cls: Any, **lock: Any) -> Select:
        """``stmt`` reading rows this operation goes on to write, locked until it ends, so
        a concurrent call writing the same rows waits and then reads what this one wrote.
        PostgreSQL: ``FOR UPDATE`` (``lock``: its options). SQLite: the
        database's write lock taken first, since its reads otherwise run before the
        transaction of the writes that follow them."""
        if self.dialect == "sqlite":
            from sqlalchemy import false, update
            self.session.execute(update(row_cls.__table__).where(false()).values(
                id=row_cls.__table__.c.id))
            return stmt
        return stmt.with_for_update(**lock)

    # ------------------------------------------------------------------ scope
    def owner(self) -> str:
        """The project a new row belongs to."""
        if not self.call.project_id:
            raise ValidationError("context.project_id is required to create a resource",
                                  field="context.project_id")
        return self.call.project_id

    def scope(self) -> str | None:
        """The project a single-row read or write is kept to; None for admins (any)."""
        if self.call.is_admin:
            return None
        if not self.call.project_id:
            raise ValidationError("context.project_id is required", field="context.project_id")
        return self.call.project_id

    def scoped(self, stmt: Select[Any], row_cls: Any) -> Select[Any]:
        """Restrict a single-row read or write to the caller's project (admins: any)."""
        project = self.scope()
        return stmt if project is None else stmt.where(row_cls.project_id == project)

    def list_project(self) -> str | None:
        """The project a list (or a bulk read or write) is kept to; None: every project,
        for admins asking for all_projects or naming no project. The one scoping rule."""
        if self.call.is_admin and (self.call.all_projects or not self.call.project_id):
            return None
        if not self.call.project_id:
            raise ValidationError("context.project_id is required", field="context.project_id")
        return self.call.project_id

    def list_scoped(self, stmt: Select[Any], row_cls: Any) -> Select[Any]:
        """Restrict a list to ``list_project()``."""
        project = self.list_project()
        return stmt if project is None else stmt.where(row_cls.project_id == project)

    def may_write_project(self, project_id: str) -> bool:
        return self.call.is_admin or project_id == self.call.project_id


def parse(model: type[M], data: Any, prefix: str = "") -> M:
    """Validate ``data`` with ``model``; a failure names the field."""
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        raise from_pydantic(exc, prefix) from None


def new_id(requested: str | None) -> str:
    """The caller's id (canonical UUID form) or a fresh one."""
    if requested is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(requested))
    except (ValueError, AttributeError, TypeError):
        raise ValidationError("id must be a UUID", field="id") from None


@lru_cache(maxsize=64)
def _by_id(row_cls: Any, options: tuple[Any, ...], scoped: bool) -> Select[Any]:
    """The select of one row by id (and project when ``scoped``), built once with bound
    parameters: building it and its cache key on every call cost as much CPU as the
    rest of a GSLB get's read."""
    stmt = select(row_cls).where(row_cls.id == bindparam("row_id")).options(*options)
    return stmt.where(row_cls.project_id == bindparam("project_id")) if scoped else stmt


def by_id_params(ctx: OpContext, row_id: str) -> tuple[dict[str, Any], bool]:
    """The values of a select of one row by id in the caller's scope (``row_id``, and
    ``project_id`` unless the caller sees every project), and whether it is scoped."""
    project = ctx.scope()
    if project is None:
        return {"row_id": row_id}, False
    return {"row_id": row_id, "project_id": project}, True


def get_row(ctx: OpContext, row_cls: Any, row_id: str, kind: str, *options: Any) -> Any:
    """The row ``row_id`` in the caller's scope, else NotFound; ``options`` are loader
    options (a ``joinedload`` reads a collection in the same statement; pass the same
    objects every time, as the statement is kept by them)."""
    params, scoped = by_id_params(ctx, row_id)
    row = ctx.session.scalars(_by_id(row_cls, options, scoped), params).unique().first()
    if row is None:
        raise NotFound(f"{kind} {row_id} not found")
    return row


def check_version(row: Any, wanted: int | None, kind: str) -> None:
    if wanted is not None and wanted != row.version:
        raise StaleVersion(f"{kind} {row.id} is at version {row.version}, not {wanted}",
                           field="version")


def apply(ctx: OpContext, row: Any, values: dict[str, Any]) -> bool:
    """Set the columns that differ; stamp ``updated_at`` when anything did."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    if changed:
        row.updated_at = ctx.now
    return changed


def record(kind: str, row: Any) -> dict[str, Any]:
    """The contract record of a row, JSON-ready."""
    return RECORD_MODELS[kind].model_validate(row, from_attributes=True).model_dump(mode="json")


def records(kind: str, rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [record(kind, r) for r in rows]


def replayed_create(ctx: OpContext, row_cls: Any, row_id: str, kind: str,
                    data: dict[str, Any]) -> dict[str, Any] | None:
    """The stored record when this create is a retry of one that succeeded.

    The same id with the same values is the same request delivered twice: it
    returns the stored row. The same id with other values is a Conflict.
    """
    row = ctx.session.get(row_cls, row_id)
    if row is None:
        return None
    stored = record(kind, row)
    if row.project_id != ctx.owner() or any(stored.get(k) != v for k, v in data.items()):
        raise Conflict(f"{kind} id {row_id} is already used with other values", field="id")
    return stored


def store_derived(ctx: OpContext, row_cls: Any, row_id: str, values: dict[str, Any]) -> None:
    """Write fields Kosmos derives (statuses, published answers) without bumping ``version``.

    ``version`` guards what users edit: a user's read-modify-write must not be
    refused because a member went down or the answer changed meanwhile. A row
    already loaded in this session is kept in step and not marked dirty.
    """
    from sqlalchemy import update

    table = row_cls.__table__
    ctx.session.execute(update(table).where(table.c.id == row_id).values(**values))
    _keep_in_step(ctx, row_cls, {row_id: values})


def _keep_in_step(ctx: OpContext, row_cls: Any, values_by_id: dict[str, dict[str, Any]]) -> None:
    """Rows already loaded in this session take the values just stored, not marked dirty."""
    from sqlalchemy.orm.attributes import set_committed_value

    for row_id, values in values_by_id.items():
        loaded = ctx.session.identity_map.get(ctx.session.identity_key(row_cls, row_id))
        if loaded is not None:
            for key, value in values.items():
                set_committed_value(loaded, key, value)


def store_derived_many(ctx: OpContext, row_cls: Any, values_by_id: dict[str, dict[str, Any]]) -> None:
    """``store_derived`` of many rows: one executemany per set of columns written (a
    statement built and checked once, not once per row)."""
    from sqlalchemy import bindparam, update

    table = row_cls.__table__
    groups: dict[tuple[str, ...], list[str]] = {}
    for row_id in sorted(values_by_id):
        groups.setdefault(tuple(sorted(values_by_id[row_id])), []).append(row_id)
    for columns, ids in groups.items():
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(
            {c: bindparam(f"b_{c}", type_=table.c[c].type) for c in columns})
        ctx.session.execute(stmt, [{"b_id": row_id, **{f"b_{c}": values_by_id[row_id][c]
                                                        for c in columns}} for row_id in ids])
    _keep_in_step(ctx, row_cls, values_by_id)


def store_statuses(ctx: OpContext, row_cls: Any, statuses: dict[str, str]) -> None:
    """``store_derived`` of many rows' ``operating_status``: one UPDATE per status (and
    900 rows), not one per row (an endpoint's death moves thousands of pools and
    GSLBs at once). The rows are locked in id order first, as every writer of many
    rows does, so two writers of overlapping rows wait instead of deadlocking."""
    if not statuses:
        return
    from sqlalchemy import select, update

    table = row_cls.__table__
    ids = sorted(statuses)
    if ctx.dialect != "sqlite":   # SQLite has one writer at a time
        for i in range(0, len(ids), 900):
            ctx.session.execute(select(table.c.id).where(table.c.id.in_(ids[i:i + 900]))
                                .order_by(table.c.id).with_for_update()).all()
    by_status: dict[str, list[str]] = {}
    for row_id in ids:
        by_status.setdefault(statuses[row_id], []).append(row_id)
    for status, same in sorted(by_status.items()):
        for i in range(0, len(same), 900):
            ctx.session.execute(update(table).where(table.c.id.in_(same[i:i + 900]))
                                .values(operating_status=status))
    _keep_in_step(ctx, row_cls, {i: {"operating_status": v} for i, v in statuses.items()})


def merged_update(ctx: OpContext, args: UpdateArgs, row_cls: Any, kind: str,
                  update_model: type[BaseModel], create_model: type[BaseModel],
                  stored: Callable[[Any], dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """The row an ``{kind}.update`` names and its new values, validated whole.

    The partial update is checked against the stored ``version`` (StaleVersion),
    laid over ``stored(row)`` (the row as a create body) and re-validated with
    the create model, so rules across fields (timeout < delay, fqdn inside the
    zone) hold after every change.
    """
    a = parse(UpdateArgs, args)
    row = get_row(ctx, row_cls, a.id, kind)
    upd = parse(update_model, a.values)
    check_version(row, getattr(upd, "version", None), kind)
    merged = stored(row) | upd.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    return row, parse(create_model, merged).model_dump(mode="json")
