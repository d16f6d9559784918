"""health.write: the engine's bulk write of health states, member verdicts and history.

One transaction. Each health row is a compare-and-set: ``expected_version``
None inserts a row that must not exist yet; a number updates the row only if
it is still at that version (and stores version + 1). One miss anywhere
raises StaleVersion and nothing is written: the engine re-reads and retries.

The states go in one set-based statement: a multi-row ``INSERT ... ON
CONFLICT DO UPDATE ... WHERE health_states.version = excluded.version - 1
RETURNING`` key; a row missing from RETURNING lost its compare-and-set.
"""
from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import select, tuple_

from kosmos.conductor.db.bulk import insert_for
from kosmos.conductor.db.models import HealthStateRow, MemberRow, MonitorRow
from kosmos.conductor.ops import history
from kosmos.conductor.ops.common import OpContext, op, parse
from kosmos.contracts.common import OperatingStatus, StrictModel
from kosmos.contracts.health import HealthWrite, MemberStatusChange
from kosmos.contracts.history import HistoryEntryCreate
from kosmos.errors import StaleVersion, ValidationError

CHUNK = 900  # ids per IN (...) list
_STATE_COLUMNS = ("verdict", "consecutive_ok", "consecutive_fail", "last_ok", "last_reason",
                  "last_latency_ms", "last_checked_at", "verdict_changed_at")
_STATUSES = {s.value for s in OperatingStatus}


class HealthWriteArgs(StrictModel):
    states: list[HealthWrite] = Field(default_factory=list, max_length=20000)
    members: list[MemberStatusChange] = Field(default_factory=list, max_length=20000)
    history: list[HistoryEntryCreate] = Field(default_factory=list, max_length=20000)


def _chunks(items: list[Any], size: int = CHUNK) -> Any:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _existing(ctx: OpContext, column: Any, ids: set[str], *extra: Any) -> dict[str, Any]:
    """id → row (id, *extra) for the ids that exist in the caller's scope."""
    out: dict[str, Any] = {}
    table = column.class_
    for part in _chunks(sorted(ids)):
        stmt = ctx.list_scoped(select(column, *extra).where(column.in_(part)), table) \
            if hasattr(table, "project_id") else select(column, *extra).where(column.in_(part))
        for row in ctx.session.execute(stmt):
            out[row[0]] = row
    return out


def write_states(ctx: OpContext, writes: list[HealthWrite]) -> int:
    keys = [(w.state.member_id, w.state.monitor_id, w.state.region) for w in writes]
    if len(set(keys)) != len(keys):
        raise ValidationError("states: a (member_id, monitor_id, region) appears twice",
                              field="states")
    members = _existing(ctx, MemberRow.id, {k[0] for k in keys}, MemberRow.project_id)
    monitors = _existing(ctx, MonitorRow.id, {k[1] for k in keys})
    # A member or monitor deleted since the engine read it: its health is moot.
    writes = [w for w in writes if w.state.member_id in members and w.state.monitor_id in monitors]
    if not writes:
        return 0
    updates = [w for w in writes if w.expected_version is not None]
    if updates:
        wanted = {(w.state.member_id, w.state.monitor_id, w.state.region): w.expected_version
                  for w in updates}
        key_col = tuple_(HealthStateRow.member_id, HealthStateRow.monitor_id, HealthStateRow.region)
        stored: dict[tuple[str, str, str], int] = {}
        for part in _chunks(list(wanted)):
            for m, mon, r, v in ctx.session.execute(select(
                    HealthStateRow.member_id, HealthStateRow.monitor_id, HealthStateRow.region,
                    HealthStateRow.version).where(key_col.in_(part))):
                stored[(m, mon, r)] = v
        for key, version in wanted.items():
            if stored.get(key) != version:
                raise StaleVersion(f"health state {'/'.join(key)} is at version "
                                   f"{stored.get(key)}, not {version}", field="states")
    rows = []
    for w in sorted(writes, key=lambda w: (w.state.member_id, w.state.monitor_id, w.state.region)):
        s = w.state
        row = {c: getattr(s, c) for c in _STATE_COLUMNS}
        row["verdict"] = s.verdict.value
        row.update(member_id=s.member_id, monitor_id=s.monitor_id, region=s.region,
                   project_id=members[s.member_id].project_id,
                   version=(w.expected_version or 0) + 1, created_at=ctx.now, updated_at=ctx.now)
        rows.append(row)
    table = HealthStateRow.__table__
    stmt = insert_for(ctx.dialect, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["member_id", "monitor_id", "region"],
        set_={**{c: stmt.excluded[c] for c in _STATE_COLUMNS},
              "version": stmt.excluded.version, "updated_at": stmt.excluded.updated_at},
        where=table.c.version == stmt.excluded.version - 1,
    ).returning(table.c.member_id)
    written = len(ctx.session.execute(stmt, rows).all())
    if written != len(rows):
        raise StaleVersion(f"{len(rows) - written} health state(s) changed meanwhile",
                           field="states")
    return written


def write_members(ctx: OpContext, changes: list[MemberStatusChange]) -> int:
    for i, c in enumerate(changes):
        if c.operating_status not in _STATUSES:
            raise ValidationError(f"members[{i}].operating_status: {c.operating_status!r} is "
                                  f"not one of {sorted(_STATUSES)}",
                                  field=f"members[{i}].operating_status")
    if not changes:
        return 0
    rows: dict[str, MemberRow] = {}
    for part in _chunks(sorted({c.member_id for c in changes})):
        for row in ctx.session.scalars(ctx.list_scoped(
                select(MemberRow).where(MemberRow.id.in_(part)), MemberRow)):
            rows[row.id] = row
    written = 0
    for c in sorted(changes, key=lambda c: c.member_id):
        row = rows.get(c.member_id)
        if row is None:
            if c.expected_version is not None:
                raise StaleVersion(f"member {c.member_id} no longer exists", field="members")
            continue
        if c.expected_version is not None and c.expected_version != row.version:
            raise StaleVersion(f"member {row.id} is at version {row.version}, not "
                               f"{c.expected_version}", field="members")
        if (row.operating_status, row.status_reason) == (c.operating_status, c.status_reason):
            continue
        if row.operating_status != c.operating_status:
            row.status_changed_at = ctx.now
        row.operating_status, row.status_reason = c.operating_status, c.status_reason
        row.updated_at = ctx.now
        written += 1
    ctx.session.flush()  # the ORM's version check: a concurrent writer makes this StaleVersion
    return written


@op("health.write")
def health_write(ctx: OpContext, args: dict[str, Any]) -> dict[str, Any]:
    """Returns ``{"written": n}``: health rows, member rows and new history entries written."""
    a = parse(HealthWriteArgs, args)
    n = write_states(ctx, a.states)
    n += write_members(ctx, a.members)
    n += history.append(ctx, a.history, field="history")
    return {"written": n}
