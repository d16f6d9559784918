"""The Kosmos ERD as SQLAlchemy 2 tables.

gslbs ─< gslb_pools >─ pools ─< pool_members ─< health_states >─ monitors
                        pools ─< pool_monitors >─ monitors
history, gslb_tombstones, engine_lag (one row per checker region)
webhooks ─< webhook_deliveries

Every row carries ``project_id``, ``created_at``/``updated_at`` (UTC) and
``version``. On the four resources ``version`` is SQLAlchemy's version
counter: every ORM update is ``... WHERE version = :read`` and bumps it, so two
writers that read the same row cannot both win. The migrations in
``kosmos/conductor/migrations`` create exactly these tables.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, MetaData, String,
                        Text, UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from kosmos.conductor.db.types import UtcDateTime
from kosmos.contracts.common import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(36)
PROJECT = String(64)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Stamped:
    """Ownership, timestamps and version: on every row."""

    project_id: Mapped[str] = mapped_column(PROJECT, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Resource(Stamped):
    """The columns every API resource has; ``version`` is the ORM's version counter."""

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(1024), default="")
    provisioning_status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    operating_status: Mapped[str] = mapped_column(String(16), default="NO_MONITOR")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}


class MonitorRow(Resource, Base):
    __tablename__ = "monitors"

    type: Mapped[str] = mapped_column(String(64))
    delay: Mapped[int] = mapped_column(Integer)
    timeout: Mapped[float] = mapped_column(Float)
    max_retries: Mapped[int] = mapped_column(Integer)
    max_retries_down: Mapped[int] = mapped_column(Integer)
    recheck_delay: Mapped[float] = mapped_column(Float, default=1.0, server_default=text("1.0"))
    port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    http_method: Mapped[str] = mapped_column(String(16), default="GET")
    url_path: Mapped[str] = mapped_column(String(2048), default="/")
    expected_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    receive_string: Mapped[str | None] = mapped_column(String(4096), nullable=True)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ca_cert: Mapped[str | None] = mapped_column(Text, nullable=True)
    insecure: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the monitor type's check plugin validated (its options_model).
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PoolRow(Resource, Base):
    __tablename__ = "pools"

    regions: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    client_subnets: Mapped[list[str]] = mapped_column(JSON, default=list)
    monitor_links: Mapped[list["PoolMonitorRow"]] = relationship(
        order_by="PoolMonitorRow.position", cascade="all, delete-orphan", lazy="selectin")

    @property
    def monitor_ids(self) -> list[str]:
        return [link.monitor_id for link in self.monitor_links]


class PoolMonitorRow(Stamped, Base):
    __tablename__ = "pool_monitors"

    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id"), primary_key=True)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


#: Partial indexes of the few rows the circuit breaker looks for in the whole deployment
#: (``kosmos.conductor.ops.breaker``): members OFFLINE, health rows whose last probe failed,
#: GSLBs HELD. Each is as small as what is down: it costs nothing while all is well, and
#: the breaker reads it instead of every row. Each indexes a column that never changes
#: (an id): an index on a column that heartbeats rewrite (``last_checked_at``) would keep
#: every heartbeat of every row from being a HOT update, even of rows not in the index.
def _partial(name: str, column: str, where: str) -> Index:
    return Index(name, column, postgresql_where=text(where), sqlite_where=text(where))


class MemberRow(Resource, Base):
    __tablename__ = "pool_members"
    __table_args__ = (_partial("ix_pool_members_offline", "pool_id",
                               "operating_status = 'OFFLINE'"),)

    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    port: Mapped[int] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(255), nullable=True)
    neutron_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    endpoints: Mapped[list[str]] = mapped_column(JSON, default=list)
    endpoints_status: Mapped[str] = mapped_column(String(16), default="OK")
    endpoints_reason: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    endpoints_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    status_reason: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The engine's compare-and-set counter for the status columns, apart from
    # ``version`` so that a health change never refuses a user's update.
    status_version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))


class GslbRow(Resource, Base):
    __tablename__ = "gslbs"
    __table_args__ = (_partial("ix_gslbs_held", "id", "publish_status = 'HELD'"),)

    fqdn: Mapped[str] = mapped_column(String(255), unique=True)
    zone_name: Mapped[str] = mapped_column(String(255))
    ttl: Mapped[int] = mapped_column(Integer, default=30)
    all_down: Mapped[str] = mapped_column(String(16), default="ALL")
    appliance: Mapped[str | None] = mapped_column(String(64), nullable=True)
    routing: Mapped[str] = mapped_column(String(16), default="PRIORITY")
    max_answers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    slow_start: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[list[str]] = mapped_column(JSON, default=list)
    # WEIGHTED and GEO: the route served with ``answers`` (kosmos.domain.routing.Route)
    answer_route: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    answers_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    answer_reason: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    publish_status: Mapped[str] = mapped_column(String(16), default="PENDING")
    publish_reason: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    pool_links: Mapped[list["GslbPoolRow"]] = relationship(
        order_by="[GslbPoolRow.priority, GslbPoolRow.position]",
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def pools(self) -> list[dict[str, Any]]:
        return [{"pool_id": link.pool_id, "priority": link.priority} for link in self.pool_links]


class GslbPoolRow(Stamped, Base):
    __tablename__ = "gslb_pools"

    gslb_id: Mapped[str] = mapped_column(ForeignKey("gslbs.id"), primary_key=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id"), primary_key=True, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    # Order among equal priorities: as the caller listed them.
    position: Mapped[int] = mapped_column(Integer, default=0)


class HealthStateRow(Stamped, Base):
    """One region's verdict on one member under one monitor (compare-and-set on version)."""

    __tablename__ = "health_states"
    __table_args__ = (_partial("ix_health_states_failing", "member_id", "last_ok IS false"),)

    member_id: Mapped[str] = mapped_column(ForeignKey("pool_members.id"), primary_key=True)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id"), primary_key=True, index=True)
    region: Mapped[str] = mapped_column(String(255), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(16), default="UNKNOWN")
    consecutive_ok: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_fail: Mapped[int] = mapped_column(Integer, default=0)
    last_ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_reason: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    last_latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    verdict_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class HistoryRow(Stamped, Base):
    __tablename__ = "history"
    __table_args__ = (
        Index("ix_history_gslb_time", "gslb_id", "time"),
        Index("ix_history_member_time", "member_id", "time"),
        Index("ix_history_project_time", "project_id", "time"),
        Index("ix_history_created_at", "created_at"),
        UniqueConstraint("dedupe_key", name="uq_history_dedupe_key"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    gslb_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    member_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(255))
    time: Mapped[datetime] = mapped_column(UtcDateTime)
    from_state: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_state: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), nullable=True)


class TombstoneRow(Stamped, Base):
    """A DNS name the engine must remove from its appliance (deleted or renamed GSLB)."""

    __tablename__ = "gslb_tombstones"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    gslb_id: Mapped[str] = mapped_column(ID)
    fqdn: Mapped[str] = mapped_column(String(255), index=True)
    zone_name: Mapped[str] = mapped_column(String(255))
    appliance: Mapped[str | None] = mapped_column(String(64), nullable=True)


class EngineLagRow(Base):
    """How long one region's results last waited for the engine (written every few seconds
    at most, by whichever engine instance handled them; not a project's row)."""

    __tablename__ = "engine_lag"

    region: Mapped[str] = mapped_column(String(255), primary_key=True)
    lag_s: Mapped[float] = mapped_column(Float)
    stale_results: Mapped[int] = mapped_column(Integer, default=0)
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)


RESOURCE_ROWS: dict[str, type[Resource]] = {
    "monitor": MonitorRow, "pool": PoolRow, "member": MemberRow, "gslb": GslbRow}


class WebhookRow(Resource, Base):
    """A project's webhook; ``secret`` signs its deliveries and is never read back."""

    __tablename__ = "webhooks"

    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(256))


class WebhookDeliveryRow(Stamped, Base):
    """One event for one webhook, from its creation until delivered or given up.

    Rows are written in the transaction that stores the change they announce,
    so a change stored is a notification owed (the outbox pattern).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class MetricRow(Base):
    """One metric series, deployment-wide: a counter (added to) or a gauge (replaced).

    Serverless instances come and go, so their counts meet here rather than in
    each instance's memory; ``GET /metrics`` reads them back.
    """

    __tablename__ = "metrics"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    labels: Mapped[str] = mapped_column(String(255), primary_key=True, default="")
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class QuotaRow(Base):
    """A project's quotas as an admin set them (null: the deployment's default). The row
    is also the lock every create of the project takes before it counts."""

    __tablename__ = "quotas"

    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    gslbs: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pools: Mapped[int | None] = mapped_column(Integer, nullable=True)
    members: Mapped[int | None] = mapped_column(Integer, nullable=True)
    monitors: Mapped[int | None] = mapped_column(Integer, nullable=True)
    webhooks: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ChecksGenerationRow(Base):
    """One row counting the writes that change what ``checks.due`` answers. Triggers
    keep it (migration 0012 says which writes count); ``epoch`` is random per
    database, so a count never matches one read from another database."""

    __tablename__ = "checks_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    epoch: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(BigInteger)


class DeadLetterRow(Base):
    """An event the platform gave up delivering (a broker's dead-letter sink, or the
    runner's queue), as it arrived: not a project's row; admins read them."""

    __tablename__ = "dead_letters"
    __table_args__ = (Index("ix_dead_letters_received", "received_at"),)

    # The event's own id and source identify it (CloudEvents); a redelivered dead
    # letter lands on the same row.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)   # digest of source + id
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(1024))
    subject: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    event_time: Mapped[str | None] = mapped_column(String(64), nullable=True)
    destination: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    data: Mapped[Any] = mapped_column(JSON, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
