"""Ad-break analytics from the ad-break rollups, tenant-scoped, cached 300 s.

The SQL lives in ``cloud.db.queries`` (tested on both storage paths): per hour from
the tenant-hourly rollup, per location/channel from daily plus hourly rollups.

The window is widened to whole hours (the rollup's grain), which also makes the
default window ("the last 24 hours") the same for every request within an hour,
so it is cacheable.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cloud.api.analytics.schemas import AdBreakGroup, AdBreakStats, GroupBy
from cloud.api.cache import JsonBody, ResponseCache, digest
from cloud.api.db import Database, Row
from cloud.api.errors import BadRequest
from cloud.api.params import Window
from cloud.db.queries import ad_breaks_query

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
    ) -> JsonBody[AdBreakStats]:
        hours = whole_hours(win)
        key = digest(
            "ad_breaks", (group_by, hours.start.isoformat(), hours.end.isoformat(), location)
        )
        return await self._cache.get_or_compute(
            tenant,
            key,
            self._ttl_s,
            lambda: self._ad_breaks(tenant, group_by, hours, location),
        )

    async def _ad_breaks(
        self, tenant: str, group_by: GroupBy, win: Window, location: str | None
    ) -> AdBreakStats:
        sql, params = ad_breaks_query(group_by, tenant, win.start, win.end, location)
        rows = await self._db.rows(sql, params)
        return AdBreakStats(
            group_by=group_by,
            start=win.start,
            end=win.end,
            location_id=location,
            items=[_group(group_by, r) for r in rows],
        )
