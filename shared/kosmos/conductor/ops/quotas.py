"""quota.* operations, and the check every create makes (``check_quota``).

A project's limits are its stored row's numbers, else the deployment's
defaults (``quota_*`` settings); -1 is unlimited. A create that would go over
is a QuotaExceeded (403) and writes nothing. Concurrent creates cannot both
take the last place: a create under a limit first writes the project's quota
row (PostgreSQL locks the row, SQLite the database), then counts, so the
second waits for the first to commit and counts its row.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update

from kosmos.conductor.db.bulk import insert_for
from kosmos.conductor.db.models import (GslbRow, MemberRow, MonitorRow, PoolRow, QuotaRow,
                                        WebhookRow)
from kosmos.conductor.ops.common import OpContext, op
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


def check_quota(ctx: OpContext, kind: str, project_id: str) -> None:
    """Raise QuotaExceeded when one more ``kind`` would take the project over its limit."""
    field = FIELD_OF[kind]
    limit = limits(ctx, project_id)[field]
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
