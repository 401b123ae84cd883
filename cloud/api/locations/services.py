"""Location reads; every query is filtered by the caller's tenant.

"Ad minutes today" is computed from ``ad_events`` rather than the hourly rollup:
one venue's day of events is small and indexed, and the rollup lags by up to an
hour, which would make the current hour look empty.
"""

from __future__ import annotations

from cloud.api.db import Database
from cloud.api.errors import NotFound
from cloud.api.hot import HotReads
from cloud.api.locations.schemas import LastBreak, LocationPage, LocationSummary, LocationView
from cloud.api.params import decode_cursor, encode_cursor

_LIST = """
SELECT l.id, l.name, l.timezone, l.created_at,
       (SELECT count(*) FROM devices d WHERE d.tenant_id = l.tenant_id AND d.location_id = l.id)
FROM locations l
WHERE l.tenant_id = %(tenant)s AND (%(after)s::text IS NULL OR l.id > %(after)s::text)
ORDER BY l.id LIMIT %(limit)s
"""

_LOCATION = """
SELECT (SELECT count(*) FROM devices d WHERE d.tenant_id = l.tenant_id AND d.location_id = l.id),
       date_trunc('day', now() AT TIME ZONE l.timezone) AT TIME ZONE l.timezone
FROM locations l WHERE l.tenant_id = %(tenant)s AND l.id = %(location)s
"""

_TODAY = """
SELECT coalesce(sum(duration_s), 0) / 60.0, count(*)
FROM ad_events
WHERE tenant_id = %(tenant)s AND location_id = %(location)s AND event = 'ended'
  AND time >= %(day_start)s
"""

_LAST_BREAK = """
SELECT break_id, device_id, source, started_at, ended_at, duration_s, event
FROM ad_events
WHERE tenant_id = %(tenant)s AND location_id = %(location)s
ORDER BY time DESC LIMIT 1
"""


class LocationService:
    def __init__(self, db: Database, hot: HotReads) -> None:
        self._db = db
        self._hot = hot

    async def list(self, tenant: str, cursor: str | None, limit: int) -> LocationPage:
        after = decode_cursor(cursor) if cursor else None
        rows = await self._db.rows(_LIST, {"tenant": tenant, "after": after, "limit": limit + 1})
        items = [
            LocationView(id=r[0], name=r[1], timezone=r[2], created_at=r[3], devices=r[4])
            for r in rows[:limit]
        ]
        more = len(rows) > limit
        return LocationPage(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)

    async def summary(self, tenant: str, location: str) -> LocationSummary:
        params = {"tenant": tenant, "location": location}
        row = await self._db.row(_LOCATION, params)
        if row is None:
            raise NotFound(f"no location {location!r}")
        total, day_start = row
        minutes, breaks = await self._db.row(_TODAY, {**params, "day_start": day_start}) or (0.0, 0)
        last = await self._db.row(_LAST_BREAK, params)
        online = await self._hot.online_in_location(tenant, location)
        last_break = None
        if last is not None:
            last_break = LastBreak(
                break_id=last[0],
                device_id=last[1],
                channel=last[2],
                started_at=last[3],
                ended_at=last[4],
                duration_s=last[5],
                ongoing=last[6] == "started",
            )
        return LocationSummary(
            location_id=location,
            devices_total=total,
            devices_online=online,
            day_start=day_start,
            ad_minutes_today=float(minutes),
            breaks_today=breaks,
            last_break=last_break,
        )
