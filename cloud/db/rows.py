"""Pure mapping from ingest records to table rows and device updates (no I/O).

Each uplink message becomes one row in its time-series table, keyed by
``(message_id, time)``. Every record also "touches" its device: ``last_seen``
moves forward, and the device's status follows the newest status evidence:

- an explicit ``DeviceStatus`` orders by its ``ts``, except ``offline``: a Last
  Will is composed when the device connects, so its ``ts`` is stale by design;
  it orders by when the cloud received it (``received_at``) if that is later;
- any other uplink is evidence the device is ``online`` at its ``ts``.

Firmware, hardware and config version come from the newest ``DeviceStatus`` and
apply unless the message predates the device's current status period (a
redelivered status from a previous boot).

A late row (store-and-forward backlog) older than the device's current status
evidence leaves the status alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from schemas.kafka import IngestRecord
from schemas.messages import (
    AdBreakEnded,
    AdBreakStarted,
    CommandResult,
    DeviceStatus,
    HealthReport,
    OtaState,
    TelemetryPeriod,
)

Row = tuple[Any, ...]

HEADER = ("message_id", "time", "tenant_id", "location_id", "device_id", "received_at")
HEADER_TYPES = ("uuid", "timestamptz", "text", "text", "text", "timestamptz")

# table -> (extra columns, their SQL types)
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "device_health": (
        (
            "cpu_percent", "memory_percent", "disk_percent", "temperature_c", "uptime_s", "fps",
            "inference_ms_p50", "inference_ms_p95", "queue_depth",
        ),
        ("float8",) * 8 + ("int8",),
    ),
    "telemetry": (
        (
            "period_start", "period_end", "frames_captured", "frames_analysed", "frames_dropped",
            "ad_seconds", "content_seconds", "breaks", "mean_confidence",
        ),
        ("timestamptz", "timestamptz", "int8", "int8", "int8", "float8", "float8", "int8",
         "float8"),
    ),
    "ad_events": (
        (
            "event", "break_id", "source", "started_at", "ended_at", "duration_s", "confidence",
            "action", "controller", "model_version",
        ),
        ("text", "uuid", "text", "timestamptz", "timestamptz", "float8", "float8", "text", "text",
         "text"),
    ),
    "device_status_events": (
        ("state", "since", "firmware", "hardware", "config_version", "reason"),
        ("text", "timestamptz", "text", "text", "int8", "text"),
    ),
    "ota_states": (
        ("rollout_id", "step", "firmware_version", "error"),
        ("text", "text", "text", "text"),
    ),
    "command_results": (
        ("command_id", "ok", "detail", "data"),
        ("uuid", "bool", "text", "jsonb"),
    ),
}  # fmt: skip


@dataclass(slots=True)
class DeviceTouch:
    """What one batch says about one device (at most one row per device per batch)."""

    tenant: str
    location: str
    device: str
    last_seen: datetime
    status: str | None = None
    status_key: datetime | None = None  # ordering key of the status evidence
    status_since: datetime | None = None  # None: keep (or start now if newly online)
    status_reason: str = ""
    info_ts: datetime | None = None  # ts of the newest DeviceStatus (firmware etc.)
    firmware: str | None = None
    hardware: str | None = None
    config_version: int | None = None


@dataclass(slots=True)
class Batch:
    rows: dict[str, list[Row]] = field(default_factory=dict)
    touches: list[DeviceTouch] = field(default_factory=list)
    ignored: int = 0  # downlink or unknown payloads: nothing to store


def _table_and_values(record: IngestRecord) -> tuple[str, Row, datetime] | None:
    """The table, the extra column values and the ``time`` of one record."""
    p = record.payload
    if isinstance(p, HealthReport):
        values: Row = (
            p.cpu_percent, p.memory_percent, p.disk_percent, p.temperature_c, p.uptime_s, p.fps,
            p.inference_ms_p50, p.inference_ms_p95, p.queue_depth,
        )  # fmt: skip
        return "device_health", values, p.ts
    if isinstance(p, TelemetryPeriod):
        values = (
            p.period_start, p.period_end, p.frames_captured, p.frames_analysed, p.frames_dropped,
            p.ad_seconds, p.content_seconds, p.breaks, p.mean_confidence,
        )  # fmt: skip
        return "telemetry", values, p.period_end
    if isinstance(p, AdBreakStarted):
        values = (
            "started", p.break_id, p.source, p.started_at, None, None, p.confidence, p.action,
            p.controller, p.model_version,
        )  # fmt: skip
        return "ad_events", values, p.ts
    if isinstance(p, AdBreakEnded):
        duration = (p.ended_at - p.started_at).total_seconds()
        values = (
            "ended", p.break_id, p.source, p.started_at, p.ended_at, duration, p.confidence,
            p.action, p.controller, p.model_version,
        )  # fmt: skip
        return "ad_events", values, p.ts
    if isinstance(p, DeviceStatus):
        values = (p.state, p.since, p.firmware, p.hardware, p.config_version, p.reason)
        return "device_status_events", values, p.ts
    if isinstance(p, OtaState):
        return "ota_states", (p.rollout_id, p.step, p.firmware_version, p.error), p.ts
    if isinstance(p, CommandResult):
        data = msgspec.json.encode(p.data).decode()
        return "command_results", (p.command_id, p.ok, p.detail, data), p.ts
    return None


def status_key(record: IngestRecord) -> datetime:
    """The time a record's status evidence is ordered by (see the module docstring)."""
    p = record.payload
    if isinstance(p, DeviceStatus) and p.state == "offline":
        return max(p.ts, record.received_at)
    return p.ts


def _touch(touches: dict[tuple[str, str], DeviceTouch], record: IngestRecord) -> None:
    key = (record.tenant, record.device)
    ts = record.payload.ts
    t = touches.get(key)
    if t is None:
        t = touches[key] = DeviceTouch(record.tenant, record.location, record.device, ts)
    elif ts >= t.last_seen:
        t.last_seen, t.location = ts, record.location
    p = record.payload
    if isinstance(p, DeviceStatus) and (t.info_ts is None or p.ts > t.info_ts):
        t.info_ts = p.ts
        # A Last Will may leave fields out: keep what an earlier status of the batch said.
        t.firmware = p.firmware or t.firmware
        t.hardware = p.hardware or t.hardware
        t.config_version = t.config_version if p.config_version is None else p.config_version
    order = status_key(record)
    if t.status_key is not None and order <= t.status_key:
        if isinstance(p, DeviceStatus) and p.state == t.status == "online":
            t.status_since = t.status_since or p.since  # the start of this online period
        return
    t.status_key = order
    if isinstance(p, DeviceStatus):
        t.status, t.status_since, t.status_reason = p.state, p.since, p.reason
    elif t.status != "online":  # implied: an online period already in the batch goes on
        t.status, t.status_since, t.status_reason = "online", None, ""


def plan(records: Sequence[IngestRecord]) -> Batch:
    """Rows per table and one device touch per device, for one batch."""
    batch = Batch()
    touches: dict[tuple[str, str], DeviceTouch] = {}
    for record in records:
        mapped = _table_and_values(record)
        if mapped is None:
            batch.ignored += 1
            continue
        table, values, time = mapped
        header = (
            record.payload.message_id, time, record.tenant, record.location, record.device,
            record.received_at,
        )  # fmt: skip
        batch.rows.setdefault(table, []).append(header + values)
        _touch(touches, record)
    batch.touches = list(touches.values())
    return batch
