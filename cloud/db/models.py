"""Typed SQLAlchemy 2 models of every adwatch table.

The migrations (``cloud/db/migrations``) are the source of truth for the DDL,
because the time-series tables differ by storage path (TimescaleDB hypertables
or native range-partitioned tables); these models describe the columns both
paths share, for the API's typed reads and for tests that check the two agree.

Time-series tables all have ``time`` (the device timestamp ``ts``; ``period_end``
for telemetry), the device address and ``message_id``. Their primary key is
``(message_id, time)``: a partitioned table's unique index must include the
partition column, and a redelivered message carries the same ``ts``, so
``INSERT ... ON CONFLICT (message_id, time) DO NOTHING`` stores it once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Double,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TZ = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: TZ, uuid.UUID: UUID(as_uuid=True), float: Double()}


def _now() -> Any:
    return mapped_column(TZ, server_default=func.now(), nullable=False)


# ---------------------------------------------------------------- relational


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = _now()


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),)

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text, server_default="")
    timezone: Mapped[str] = mapped_column(Text, server_default="UTC")
    created_at: Mapped[datetime] = _now()


class Device(Base):
    """One row per device; ``status``/``last_seen`` are kept current by the stream sink.

    ``status_ts`` is the ``ts`` of the status message that set ``status``, so a
    redelivered older status never overwrites a newer one.
    """

    __tablename__ = "devices"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["locations.tenant_id", "locations.id"],
            ondelete="CASCADE",
        ),
        Index("ix_devices_tenant_location", "tenant_id", "location_id", "id"),
        Index("ix_devices_tenant_status", "tenant_id", "status", "id"),
        Index("ix_devices_tenant_hardware", "tenant_id", "hardware", "id"),
        Index("ix_devices_tenant_last_seen", "tenant_id", "last_seen"),
    )

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    id: Mapped[str] = mapped_column(Text, primary_key=True)  # keyset pagination: the pk
    location_id: Mapped[str] = mapped_column(Text)
    hardware: Mapped[str] = mapped_column(Text, server_default="")
    firmware: Mapped[str] = mapped_column(Text, server_default="")
    channel: Mapped[str] = mapped_column(Text, server_default="")  # TV source/channel label
    tv: Mapped[str] = mapped_column(Text, server_default="")
    role: Mapped[str] = mapped_column(Text, server_default="worker")
    status: Mapped[str] = mapped_column(Text, server_default="unknown")  # online|offline|unknown
    status_since: Mapped[datetime | None]
    status_reason: Mapped[str] = mapped_column(Text, server_default="")
    status_ts: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    config_version: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _now()


class DeviceCredential(Base):
    """MQTT credentials of a device; only a password hash (argon2id) is ever stored."""

    __tablename__ = "device_credentials"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "device_id"],
            ["devices.tenant_id", "devices.id"],
            ondelete="CASCADE",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    device_id: Mapped[str] = mapped_column(Text, primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    rotated_at: Mapped[datetime | None]


class Firmware(Base):
    __tablename__ = "firmware"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        Index("uq_firmware_release", "tenant_id", "channel", "hardware", "version", unique=True),
        Index("ix_firmware_latest", "tenant_id", "channel", "hardware", "released_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    hardware: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    artifact_path: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, server_default="")
    released_at: Mapped[datetime]
    created_at: Mapped[datetime] = _now()


class Rollout(Base):
    __tablename__ = "rollouts"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["firmware_id"], ["firmware.id"], ondelete="RESTRICT"),
        Index("ix_rollouts_tenant_state", "tenant_id", "state"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    firmware_id: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    hardware: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, server_default="pending")
    percent: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class StorageSetting(Base):
    """Key/value facts about this database: the storage path, retention and so on."""

    __tablename__ = "storage_settings"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# ---------------------------------------------------------------- time series


class _Series(Base):
    """Columns shared by every uplink time series (not a table)."""

    __abstract__ = True

    message_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    time: Mapped[datetime] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    location_id: Mapped[str] = mapped_column(Text)
    device_id: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime | None]  # when the connector got it
    ingested_at: Mapped[datetime] = _now()  # when the sink's transaction ran


class DeviceHealth(_Series):
    __tablename__ = "device_health"

    cpu_percent: Mapped[float]
    memory_percent: Mapped[float]
    disk_percent: Mapped[float]
    temperature_c: Mapped[float | None]
    uptime_s: Mapped[float]
    fps: Mapped[float]
    inference_ms_p50: Mapped[float]
    inference_ms_p95: Mapped[float]
    queue_depth: Mapped[int] = mapped_column(BigInteger)


class Telemetry(_Series):
    """``time`` is ``period_end``."""

    __tablename__ = "telemetry"

    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    frames_captured: Mapped[int] = mapped_column(BigInteger)
    frames_analysed: Mapped[int] = mapped_column(BigInteger)
    frames_dropped: Mapped[int] = mapped_column(BigInteger)
    ad_seconds: Mapped[float]
    content_seconds: Mapped[float]
    breaks: Mapped[int] = mapped_column(BigInteger)
    mean_confidence: Mapped[float | None]


class AdEvent(_Series):
    """One row per ``AdBreakStarted`` (event='started') or ``AdBreakEnded`` ('ended')."""

    __tablename__ = "ad_events"

    event: Mapped[str] = mapped_column(Text)
    break_id: Mapped[uuid.UUID]
    source: Mapped[str] = mapped_column(Text)  # the TV channel / input the break was on
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    duration_s: Mapped[float | None]
    confidence: Mapped[float]
    action: Mapped[str] = mapped_column(Text)
    controller: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str] = mapped_column(Text)


class DeviceStatusEvent(_Series):
    __tablename__ = "device_status_events"

    state: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime]
    firmware: Mapped[str] = mapped_column(Text)
    hardware: Mapped[str] = mapped_column(Text)
    config_version: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)


class OtaStateRow(_Series):
    __tablename__ = "ota_states"

    rollout_id: Mapped[str] = mapped_column(Text)
    step: Mapped[str] = mapped_column(Text)
    firmware_version: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class CommandResultRow(_Series):
    __tablename__ = "command_results"

    command_id: Mapped[uuid.UUID]
    ok: Mapped[bool]
    detail: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, str]] = mapped_column(JSONB)


class PipelineMetric(Base):
    """Gauges/counters the pipeline exports (ingest rate, dead letters, Kafka lag).

    ``component`` e.g. 'connector' or 'stream'; ``instance`` the process; ``metric``
    e.g. 'ingested_total', 'dead_letters_total', 'kafka_lag'; ``labels`` free form
    (topic, partition). Not deduplicated: the writer owns its samples.
    """

    __tablename__ = "pipeline_metrics"
    __mapper_args__ = {"primary_key": ["time", "component", "instance", "metric"]}

    time: Mapped[datetime]
    component: Mapped[str] = mapped_column(Text)
    instance: Mapped[str] = mapped_column(Text, server_default="")
    metric: Mapped[str] = mapped_column(Text)
    value: Mapped[float]
    labels: Mapped[dict[str, str]] = mapped_column(JSONB, server_default="{}")


#: Time-series tables: partitioned / hypertables, with retention.
SERIES_TABLES: tuple[str, ...] = (
    "device_health",
    "telemetry",
    "ad_events",
    "device_status_events",
    "ota_states",
    "command_results",
    "pipeline_metrics",
)
