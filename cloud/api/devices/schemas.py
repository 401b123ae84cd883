"""Response bodies of the device endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

DeviceStatusText = Literal["online", "offline", "unknown"]
Bucket = Literal["1m", "5m", "15m", "1h", "6h", "1d"]
BUCKET_SECONDS: dict[str, int] = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "1h": 3600,
    "6h": 21600,
    "1d": 86400,
}


class _Body(msgspec.Struct, frozen=True, kw_only=True):
    pass


class DeviceSummary(_Body, frozen=True):
    id: str
    location_id: str
    hardware: str
    firmware: str
    channel: str
    role: str
    status: str
    status_since: datetime | None
    last_seen: datetime | None


class DevicePage(_Body, frozen=True):
    items: list[DeviceSummary]
    next_cursor: str | None = None


class CredentialMeta(_Body, frozen=True):
    """Admin only: who the device authenticates as, never the secret or its hash."""

    username: str
    created_at: datetime
    rotated_at: datetime | None


class HealthSnapshot(_Body, frozen=True):
    """The latest health report from the hot state (Redis)."""

    received_at: datetime
    ts: datetime
    cpu_percent: float
    memory_percent: float
    disk_percent: float
    temperature_c: float | None
    uptime_s: float
    fps: float
    inference_ms_p50: float
    inference_ms_p95: float
    queue_depth: int


class DeviceDetail(_Body, frozen=True):
    id: str
    location_id: str
    hardware: str
    firmware: str
    channel: str
    tv: str
    role: str
    status: str
    status_since: datetime | None
    status_reason: str
    last_seen: datetime | None
    config_version: int | None
    created_at: datetime
    online: bool
    latest_health: HealthSnapshot | None
    credentials: list[CredentialMeta] | None = None


class HealthPoint(_Body, frozen=True):
    """One bucket; the columns of the db's ``health_hourly`` rollup, re-aggregated."""

    bucket: datetime
    samples: int
    cpu_avg: float | None
    cpu_max: float | None
    memory_avg: float | None
    memory_max: float | None
    disk_avg: float | None
    temperature_max: float | None
    fps_avg: float | None
    fps_min: float | None
    inference_ms_p95_max: float | None
    queue_depth_max: int | None


class HealthSeries(_Body, frozen=True):
    device_id: str
    bucket: str
    start: datetime
    end: datetime
    points: list[HealthPoint]


class TelemetryRow(_Body, frozen=True):
    period_start: datetime
    period_end: datetime
    frames_captured: int
    frames_analysed: int
    frames_dropped: int
    ad_seconds: float
    content_seconds: float
    breaks: int
    mean_confidence: float | None


class TelemetrySeries(_Body, frozen=True):
    device_id: str
    start: datetime
    end: datetime
    items: list[TelemetryRow]
    truncated: bool
