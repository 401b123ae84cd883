"""Response bodies of the location endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class LocationView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    timezone: str
    created_at: datetime
    devices: int


class LocationPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[LocationView]
    next_cursor: str | None = None


class LastBreak(msgspec.Struct, frozen=True, kw_only=True):
    break_id: uuid.UUID
    device_id: str
    channel: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    ongoing: bool


class LocationSummary(msgspec.Struct, frozen=True, kw_only=True):
    """Now at one venue: ``day_start`` is local midnight in the location's timezone."""

    location_id: str
    devices_total: int
    devices_online: int
    day_start: datetime
    ad_minutes_today: float
    breaks_today: int
    last_break: LastBreak | None
