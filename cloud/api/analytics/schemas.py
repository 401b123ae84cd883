"""Response bodies of the analytics endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

GroupBy = Literal["hour", "location", "channel"]


class AdBreakGroup(msgspec.Struct, frozen=True, kw_only=True):
    """One group: ``key`` is the hour (ISO-8601), the location id or the channel."""

    key: str
    breaks: int
    ad_minutes: float
    mean_break_s: float | None


class AdBreakStats(msgspec.Struct, frozen=True, kw_only=True):
    group_by: GroupBy
    start: datetime
    end: datetime
    location_id: str | None
    items: list[AdBreakGroup]
