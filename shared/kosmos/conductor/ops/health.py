"""health.write: the engine's bulk write of health states, member verdicts and history;
health.heartbeat: the freshness of rows whose results moved nothing material.

One transaction. Each health row is a compare-and-set: ``expected_version``
None inserts a row that must not exist yet; a number updates the row only if
it is still at that version (and stores version + 1). One miss anywhere
raises StaleVersion and nothing is written: the engine re-reads and retries.
A member's status is compared and bumped on its ``status_version``; its
``version``, which guards users' updates, is left alone. The members are read
locked, in id order, so a writer that waited for another compares against what
the other stored. A change whose status is the stored one though its version
moved (another writer made the same move, as two regions' batches completing
one quorum do) is no conflict: it is skipped with its member history entries,
which the other writer stored. Only a status that moved elsewhere is
StaleVersion.

The states go in set-based statements (``kosmos.conductor.db.health_upsert``):
on PostgreSQL one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE version =
excluded.version - 1`` fed by one JSON parameter; a row it did not write lost
its compare-and-set.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from kosmos.contracts.operations import (HEALTH_HEARTBEAT, HEALTH_WRITE, HealthHeartbeatArgs,
                                        HealthWriteArgs)
from kosmos.conductor.db.health_upsert import (STATE_COLUMNS, heartbeat_portable,
                                               heartbeat_postgres, upsert_portable,
                                               upsert_postgres)
from kosmos.conductor.db.models import MemberRow
from kosmos.conductor.ops import history
from kosmos.conductor.ops.common import OpContext, op
from kosmos.conductor.ops.status import refresh_pools
from kosmos.contracts.common import OperatingStatus
from kosmos.contracts.health import HealthWrite, MemberStatusChange
from kosmos.contracts.history import SubjectType
from kosmos.errors import StaleVersion, ValidationError

CHUNK = 900  # ids per IN (...) list
_STATUSES = {s.value for s in OperatingStatus}


def _chunks(items: list[Any], size: int = CHUNK) -> Any:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def write_states(ctx: OpContext, writes: list[HealthWrite]) -> int:
    keys = [(w.state.member_id, w.state.monitor_id, w.state.region) for w in writes]
    if len(set(keys)) != len(keys):
        raise ValidationError("states: a (member_id, monitor_id, region) appears twice",
                              field="states")
    if not writes:
        return 0
    rows = [{**{c: getattr(w.state, c) for c in STATE_COLUMNS}, "verdict": w.state.verdict.value,
             "member_id": w.state.member_id, "monitor_id": w.state.monitor_id,
             "region": w.state.region, "expected_version": w.expected_version} for w in writes]
    project = ctx.list_project()
    if ctx.dialect == "postgresql":
        valid, written, missing = upsert_postgres(ctx.session, rows, project, ctx.now)
    else:
        valid, written, missing = upsert_portable(ctx.session, ctx.dialect, rows, project, ctx.now)
    if missing or written != valid:
        raise StaleVersion(f"{valid - written + missing} health state(s) changed meanwhile; "
                           "read them again", field="states")
    return written


def write_members(ctx: OpContext, changes: list[MemberStatusChange]) -> tuple[int, dict[str, str]]:
    """Rows written, and the changes already in effect (member id -> status) that were
    skipped."""
    for i, c in enumerate(changes):
        if c.operating_status not in _STATUSES:
            raise ValidationError(f"members[{i}].operating_status: {c.operating_status!r} is "
                                  f"not one of {sorted(_STATUSES)}",
                                  field=f"members[{i}].operating_status")
    if not changes:
        return 0, {}
    if len({c.member_id for c in changes}) != len(changes):
        raise ValidationError("members: a member_id appears twice", field="members")
    rows: dict[str, MemberRow] = {}
    for part in _chunks(sorted({c.member_id for c in changes})):
        # locked in id order (one order for every writer: no deadlock between two)
        for row in ctx.session.scalars(ctx.list_scoped(
                select(MemberRow).where(MemberRow.id.in_(part)), MemberRow)
                .order_by(MemberRow.id).with_for_update()):
            rows[row.id] = row
    written = 0
    touched: set[str] = set()
    in_effect: dict[str, str] = {}
    groups: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for c in sorted(changes, key=lambda c: c.member_id):
        row = rows.get(c.member_id)
        if row is None:
            if c.expected_version is not None:
                raise StaleVersion(f"member {c.member_id} no longer exists", field="members")
            continue
        read = row.status_version
        if c.expected_version is not None and c.expected_version != read:
            if row.operating_status == c.operating_status:
                in_effect[row.id] = c.operating_status   # another writer made this move
                continue
            raise StaleVersion(f"member {row.id} is at status_version {read}, not "
                               f"{c.expected_version}", field="members")
        if (row.operating_status, row.status_reason) == (c.operating_status, c.status_reason):
            continue
        moved = row.operating_status != c.operating_status
        groups[moved].append({"b_id": row.id, "b_read": read, "b_status": c.operating_status,
                              "b_reason": c.status_reason})
        touched.add(row.pool_id)
        written += 1
    for moved, params in groups.items():
        _store_statuses(ctx, rows, params, moved)
    refresh_pools(ctx, touched)
    return written, in_effect


def _store_statuses(ctx: OpContext, rows: dict[str, MemberRow], params: list[dict[str, Any]],
                    moved: bool) -> None:
    """Compare-and-set the statuses on ``status_version`` in one executemany.

    A Core UPDATE, not the ORM's: ``version`` guards users' updates, and a user
    who read a member before its status changed must still be able to update it.
    """
    if not params:
        return
    table = MemberRow.__table__
    values: dict[str, Any] = {"operating_status": bindparam("b_status"),
                              "status_reason": bindparam("b_reason"),
                              "status_version": table.c.status_version + 1, "updated_at": ctx.now}
    if moved:
        values["status_changed_at"] = ctx.now
    stmt = update(table).where(table.c.id == bindparam("b_id"),
                               table.c.status_version == bindparam("b_read")).values(**values)
    if ctx.session.execute(stmt, params).rowcount != len(params):
        raise StaleVersion("a member's status changed meanwhile; read it again", field="members")
    for p in params:  # keep the loaded rows in step, without marking them dirty
        row = rows[p["b_id"]]
        for key, value in (("operating_status", p["b_status"]), ("status_reason", p["b_reason"]),
                           ("status_version", p["b_read"] + 1), ("updated_at", ctx.now)):
            set_committed_value(row, key, value)
        if moved:
            set_committed_value(row, "status_changed_at", ctx.now)


@op(HEALTH_WRITE)
def health_write(ctx: OpContext, a: HealthWriteArgs) -> dict[str, Any]:
    """Returns ``{"written": n}``: health rows, member rows and new history entries written."""
    n = write_states(ctx, a.states)
    members, in_effect = write_members(ctx, a.members)
    entries = [e for e in a.history if not (
        e.subject_type == SubjectType.MEMBER and in_effect.get(e.subject_id) == e.to_state)]
    return {"written": n + members + history.append(ctx, entries, field="history")}


_HEARTBEAT_COLUMNS = ("member_ids", "monitor_ids", "versions", "checked_at", "reasons",
                      "latency_ms")


@op(HEALTH_HEARTBEAT)
def health_heartbeat(ctx: OpContext, a: HealthHeartbeatArgs) -> dict[str, Any]:
    """Returns ``{"written": n}``. All or nothing: a row gone or not at its version (another
    instance wrote it, or its member was deleted) is StaleVersion, and the engine reads
    the rows again on its full path."""
    size = len(a.member_ids)
    for name in _HEARTBEAT_COLUMNS[1:]:
        if len(getattr(a, name)) != size:
            raise ValidationError(f"{name}: {len(getattr(a, name))} values for {size} "
                                  "member_ids; every list has one value per row", field=name)
    keys = list(zip(a.member_ids, a.monitor_ids, strict=True))
    if len(set(keys)) != len(keys):
        raise ValidationError("member_ids: a (member_id, monitor_id) appears twice",
                              field="member_ids")
    if not keys:
        return {"written": 0}
    rows = [{"member_id": m, "monitor_id": mo, "version": v, "last_checked_at": t,
             "last_reason": r, "last_latency_ms": lat}
            for m, mo, v, t, r, lat in zip(a.member_ids, a.monitor_ids, a.versions,
                                           a.checked_at, a.reasons, a.latency_ms, strict=True)]
    write = heartbeat_postgres if ctx.dialect == "postgresql" else heartbeat_portable
    written = write(ctx.session, a.region, rows, ctx.list_project(), ctx.now)
    if written != len(rows):
        raise StaleVersion(f"{len(rows) - written} health state(s) changed meanwhile; "
                           "read them again", field="member_ids")
    return {"written": written}
