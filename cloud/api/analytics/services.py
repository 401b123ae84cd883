"""Ad-break analytics from the hourly rollup ``ad_minutes_hourly``, tenant-scoped, cached 300 s.

The window is widened to whole hours (the rollup's grain), which also makes the
default window ("the last 24 hours") the same for every request within an hour,
so it is cacheable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import LiteralString

from cloud.api.analytics.schemas import AdBreakGroup, AdBreakStats, GroupBy
from cloud.api.cache import ResponseCache, digest
from cloud.api.db import Database, Row
from cloud.api.errors import BadRequest
from cloud.api.params import Window

_SELECT = """
SELECT {key} AS k, sum(breaks)::bigint, coalesce(sum(ad_seconds), 0) / 60.0,
       sum(ad_seconds) / nullif(sum(breaks), 0)
FROM ad_minutes_hourly
WHERE tenant_id = %(tenant)s AND bucket >= %(start)s AND bucket < %(end)s
  AND (%(location)s::text IS NULL OR location_id = %(location)s::text)
GROUP BY k ORDER BY k
"""
_QUERIES: dict[str, LiteralString] = {
    "hour": _SELECT.replace("{key}", "bucket"),
    "location": _SELECT.replace("{key}", "location_id"),
    "channel": _SELECT.replace("{key}", "channel"),
}
_HOUR = timedelta(hours=1)


def hour_floor(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def whole_hours(win: Window) -> Window:
    """The smallest window of whole hours covering ``win``."""
    end = hour_floor(win.end)
    if end != win.end:
        try:
            end += _HOUR
        except OverflowError as exc:
            raise BadRequest("`to` is out of range") from exc
    return Window(hour_floor(win.start), end)


def _group(group_by: GroupBy, row: Row) -> AdBreakGroup:
    key = row[0].isoformat() if group_by == "hour" else str(row[0])
    return AdBreakGroup(
        key=key,
        breaks=row[1],
        ad_minutes=float(row[2]),
        mean_break_s=None if row[3] is None else float(row[3]),
    )


class AnalyticsService:
    def __init__(self, db: Database, cache: ResponseCache, ttl_s: int) -> None:
        self._db = db
        self._cache = cache
        self._ttl_s = ttl_s

    async def ad_breaks(
        self, tenant: str, group_by: GroupBy, win: Window, location: str | None
    ) -> AdBreakStats:
        hours = whole_hours(win)
        key = digest(
            "ad_breaks", (group_by, hours.start.isoformat(), hours.end.isoformat(), location)
        )
        return await self._cache.get_or_compute(
            tenant,
            key,
            self._ttl_s,
            AdBreakStats,
            lambda: self._ad_breaks(tenant, group_by, hours, location),
        )

    async def _ad_breaks(
        self, tenant: str, group_by: GroupBy, win: Window, location: str | None
    ) -> AdBreakStats:
        params = {"tenant": tenant, "start": win.start, "end": win.end, "location": location}
        rows = await self._db.rows(_QUERIES[group_by], params)
        return AdBreakStats(
            group_by=group_by,
            start=win.start,
            end=win.end,
            location_id=location,
            items=[_group(group_by, r) for r in rows],
        )
