"""quota.* operations, and the check every create makes (``check_create``).

A project's limits are its stored row's numbers, else the deployment's
defaults (``quota_*`` settings); -1 is unlimited. A create that would go over
is a QuotaExceeded (403) and writes nothing. Concurrent creates cannot both
take the last place: a create under a limit first writes the project's quota
row (PostgreSQL locks the row, SQLite the database), then counts, so the
second waits for the first to commit and counts its row.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, exists, func, select, update

from kosmos.conductor.db.bulk import insert_for
from kosmos.conductor.db.models import (GslbRow, MemberRow, MonitorRow, PoolRow, QuotaRow,
                                        WebhookRow)
from kosmos.conductor.ops.common import OpContext, op, replayed_create
from kosmos.config import get_settings
from kosmos.contracts.operations import (QUOTA_DELETE, QUOTA_GET, QUOTA_SET, ProjectArgs,
                                         QuotaGetArgs, QuotaSetArgs)
from kosmos.contracts.quotas import RESOURCES
from kosmos.errors import Forbidden, QuotaExceeded, ValidationError

ROWS = {"gslbs": GslbRow, "pools": PoolRow, "members": MemberRow, "monitors": MonitorRow,
        "webhooks": WebhookRow}
FIELD_OF = {kind: field for field, kind in RESOURCES.items()}


def _defaults() -> dict[str, int]:
    s = get_settings()
    return {field: int(getattr(s, f"quota_{field}")) for field in RESOURCES}


def limits(ctx: OpContext, project_id: str) -> dict[str, int]:
    """The project's limits: its stored numbers over the deployment's defaults."""
    out = _defaults()
    row = ctx.session.get(QuotaRow, project_id)
    if row is not None:
        out.update({f: getattr(row, f) for f in RESOURCES if getattr(row, f) is not None})
    return out


def _count(ctx: OpContext, field: str, project_id: str) -> int:
    row_cls = ROWS[field]
    return int(ctx.session.scalar(select(func.count()).select_from(row_cls)
                                  .where(row_cls.project_id == project_id)) or 0)


def _lock(ctx: OpContext, project_id: str) -> None:
    """Write the project's quota row (made when missing): creates of one project queue here."""
    ctx.session.execute(insert_for(ctx.dialect, QuotaRow.__table__)
                        .values(project_id=project_id, updated_at=ctx.now)
                        .on_conflict_do_nothing(index_elements=["project_id"]))
    ctx.session.execute(update(QuotaRow).where(QuotaRow.project_id == project_id)
                        .values(updated_at=ctx.now))


def check_create(ctx: OpContext, row_cls: Any, row_id: str, kind: str,
                 data: dict[str, Any]) -> dict[str, Any] | None:
    """What a create checks before it writes: the stored record when it is a retry of
    one that succeeded (``replayed_create``), else None once the quota admits one more
    ``kind`` (else QuotaExceeded).

    Both are read in one statement, whether the id is taken and the project's stored
    limit, so a create under no limit makes one round trip before its insert, not two.
    """
    field = FIELD_OF[kind]
    project_id = ctx.owner()
    taken, stored = ctx.session.execute(_gate(row_cls, field),
                                        {"row_id": row_id, "project_id": project_id}).one()
    if taken:
        return replayed_create(ctx, row_cls, row_id, kind, data)
    _check_limit(ctx, field, project_id, _defaults()[field] if stored is None else int(stored))
    return None


@lru_cache(maxsize=None)
def _gate(row_cls: Any, field: str) -> Select[Any]:
    """Whether ``row_id`` is taken, and the project's stored limit of ``field`` (NULL when
    none is stored), built once per kind."""
    return select(exists().where(row_cls.id == bindparam("row_id")),
                  select(getattr(QuotaRow, field))
                  .where(QuotaRow.project_id == bindparam("project_id")).scalar_subquery())


def _check_limit(ctx: OpContext, field: str, project_id: str, limit: int) -> None:
    """Raise QuotaExceeded when one more of ``field`` would take the project over ``limit``."""
    if limit < 0:
        return
    _lock(ctx, project_id)
    used = _count(ctx, field, project_id)
    if used + 1 > limit:
        raise QuotaExceeded(f"quota exceeded: project {project_id} may hold {limit} {field} "
                            f"and holds {used}", field=field)


def _record(ctx: OpContext, project_id: str) -> dict[str, Any]:
    return {"project_id": project_id, **limits(ctx, project_id),
            "in_use": {f: _count(ctx, f, project_id) for f in RESOURCES}}


def _admin(ctx: OpContext) -> None:
    if not ctx.call.is_admin:
        raise Forbidden("only an admin changes quotas")


@op(QUOTA_GET)
def get(ctx: OpContext, a: QuotaGetArgs) -> dict[str, Any]:
    project = a.project_id or ctx.call.project_id
    if not project:
        raise ValidationError("project_id is required", field="project_id")
    if project != ctx.call.project_id and not ctx.call.is_admin:
        raise Forbidden("only an admin reads another project's quotas")
    return _record(ctx, project)


@op(QUOTA_SET)
def set_(ctx: OpContext, a: QuotaSetArgs) -> dict[str, Any]:
    _admin(ctx)
    given = a.values.model_dump(exclude_unset=True)
    row = ctx.session.get(QuotaRow, a.project_id)
    if row is None:
        row = QuotaRow(project_id=a.project_id, updated_at=ctx.now)
        ctx.session.add(row)
    for field, value in given.items():
        setattr(row, field, value)
    row.updated_at = ctx.now
    ctx.session.flush()
    return _record(ctx, a.project_id)


@op(QUOTA_DELETE)
def delete_(ctx: OpContext, a: ProjectArgs) -> None:
    _admin(ctx)
    ctx.session.execute(delete(QuotaRow).where(QuotaRow.project_id == a.project_id))
    return None
