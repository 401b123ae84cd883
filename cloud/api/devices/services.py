"""Device reads. Every method takes the caller's tenant and filters by it in SQL."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from cloud.api.cache import JsonBody, ResponseCache, digest
from cloud.api.db import Database, Row
from cloud.api.devices.schemas import (
    BUCKET_SECONDS,
    CredentialMeta,
    DeviceDetail,
    DevicePage,
    DeviceSummary,
    HealthPoint,
    HealthSeries,
    HealthSnapshot,
    TelemetryRow,
    TelemetrySeries,
)
from cloud.api.errors import BadRequest, NotFound
from cloud.api.hot import HotReads
from cloud.api.params import Window, decode_cursor, encode_cursor
from cloud.state.model import LatestHealth

MAX_POINTS = 5000
MAX_TELEMETRY_ROWS = 5000


class DeviceFilter(msgspec.Struct, frozen=True, kw_only=True):
    location: str | None = None
    status: str | None = None
    hardware: str | None = None
    cursor: str | None = None
    limit: int = 50


_LIST = """
SELECT id, location_id, hardware, firmware, channel, role, status, status_since, last_seen
FROM devices
WHERE tenant_id = %(tenant)s
  AND (%(location)s::text IS NULL OR location_id = %(location)s::text)
  AND (%(status)s::text IS NULL OR status = %(status)s::text)
  AND (%(hardware)s::text IS NULL OR hardware = %(hardware)s::text)
  AND (%(after)s::text IS NULL OR id > %(after)s::text)
ORDER BY id
LIMIT %(limit)s
"""

_DETAIL = """
SELECT id, location_id, hardware, firmware, channel, tv, role, status, status_since,
       status_reason, last_seen, config_version, created_at
FROM devices WHERE tenant_id = %(tenant)s AND id = %(device)s
"""

_CREDENTIALS = """
SELECT username, created_at, rotated_at FROM device_credentials
WHERE tenant_id = %(tenant)s AND device_id = %(device)s ORDER BY created_at
"""

_EXISTS = "SELECT 1 FROM devices WHERE tenant_id = %(tenant)s AND id = %(device)s"

# Sub-hour buckets come from the raw series; hour and longer from the hourly rollup
# (weighted by sample count), which is what keeps 30-day charts cheap.
_HEALTH_RAW = """
SELECT time_bucket(%(width)s, time) AS b, count(*), avg(cpu_percent), max(cpu_percent),
       avg(memory_percent), max(memory_percent), avg(disk_percent), max(temperature_c),
       avg(fps), min(fps), max(inference_ms_p95), max(queue_depth)
FROM device_health
WHERE tenant_id = %(tenant)s AND device_id = %(device)s
  AND time >= %(start)s AND time < %(end)s
GROUP BY b ORDER BY b
"""

_HEALTH_ROLLUP = """
SELECT time_bucket(%(width)s, bucket) AS b, sum(samples)::bigint,
       sum(cpu_avg * samples) / sum(samples), max(cpu_max),
       sum(memory_avg * samples) / sum(samples), max(memory_max),
       sum(disk_avg * samples) / sum(samples), max(temperature_max),
       sum(fps_avg * samples) / sum(samples), min(fps_min),
       max(inference_ms_p95_max), max(queue_depth_max)
FROM health_hourly
WHERE tenant_id = %(tenant)s AND device_id = %(device)s
  AND bucket >= %(start)s AND bucket < %(end)s
GROUP BY b ORDER BY b
"""

_TELEMETRY = """
SELECT period_start, period_end, frames_captured, frames_analysed, frames_dropped,
       ad_seconds, content_seconds, breaks, mean_confidence
FROM telemetry
WHERE tenant_id = %(tenant)s AND device_id = %(device)s
  AND time >= %(start)s AND time < %(end)s
ORDER BY time LIMIT %(limit)s
"""


def _snapshot(latest: LatestHealth | None) -> HealthSnapshot | None:
    if latest is None:
        return None
    r = latest.report
    return HealthSnapshot(
        received_at=latest.received_at,
        ts=r.ts,
        cpu_percent=r.cpu_percent,
        memory_percent=r.memory_percent,
        disk_percent=r.disk_percent,
        temperature_c=r.temperature_c,
        uptime_s=r.uptime_s,
        fps=r.fps,
        inference_ms_p50=r.inference_ms_p50,
        inference_ms_p95=r.inference_ms_p95,
        queue_depth=r.queue_depth,
    )


def _summary(row: Row) -> DeviceSummary:
    return DeviceSummary(
        id=row[0],
        location_id=row[1],
        hardware=row[2],
        firmware=row[3],
        channel=row[4],
        role=row[5],
        status=row[6],
        status_since=row[7],
        last_seen=row[8],
    )


def _health_point(row: Row) -> HealthPoint:
    return HealthPoint(
        bucket=row[0],
        samples=row[1],
        cpu_avg=row[2],
        cpu_max=row[3],
        memory_avg=row[4],
        memory_max=row[5],
        disk_avg=row[6],
        temperature_max=row[7],
        fps_avg=row[8],
        fps_min=row[9],
        inference_ms_p95_max=row[10],
        queue_depth_max=row[11],
    )


class DeviceService:
    def __init__(self, db: Database, hot: HotReads, cache: ResponseCache, list_ttl_s: int) -> None:
        self._db = db
        self._hot = hot
        self._cache = cache
        self._list_ttl_s = list_ttl_s

    async def list(self, tenant: str, flt: DeviceFilter) -> JsonBody[DevicePage]:
        key = digest("devices", (flt.location, flt.status, flt.hardware, flt.cursor, flt.limit))
        return await self._cache.get_or_compute(
            tenant, key, self._list_ttl_s, lambda: self._list(tenant, flt)
        )

    async def _list(self, tenant: str, flt: DeviceFilter) -> DevicePage:
        after = decode_cursor(flt.cursor) if flt.cursor else None
        params = {
            "tenant": tenant,
            "location": flt.location,
            "status": flt.status,
            "hardware": flt.hardware,
            "after": after,
            "limit": flt.limit + 1,
        }
        rows = await self._db.rows(_LIST, params)
        items = [_summary(r) for r in rows[: flt.limit]]
        more = len(rows) > flt.limit
        return DevicePage(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)

    async def get(self, tenant: str, device: str, *, admin: bool) -> DeviceDetail:
        row = await self._db.row(_DETAIL, {"tenant": tenant, "device": device})
        if row is None:
            raise NotFound(f"no device {device!r}")
        credentials = None
        if admin:
            creds = await self._db.rows(_CREDENTIALS, {"tenant": tenant, "device": device})
            credentials = [
                CredentialMeta(username=c[0], created_at=c[1], rotated_at=c[2]) for c in creds
            ]
        latest = await self._hot.latest_health(tenant, device)
        online = await self._hot.is_online(tenant, row[1], device)
        return DeviceDetail(
            id=row[0],
            location_id=row[1],
            hardware=row[2],
            firmware=row[3],
            channel=row[4],
            tv=row[5],
            role=row[6],
            status=row[7],
            status_since=row[8],
            status_reason=row[9],
            last_seen=row[10],
            config_version=row[11],
            created_at=row[12],
            online=online,
            latest_health=_snapshot(latest),
            credentials=credentials,
        )

    async def _require(self, tenant: str, device: str) -> None:
        if await self._db.row(_EXISTS, {"tenant": tenant, "device": device}) is None:
            raise NotFound(f"no device {device!r}")

    async def health(self, tenant: str, device: str, win: Window, bucket: str) -> HealthSeries:
        bucket_s = BUCKET_SECONDS[bucket]
        if (win.end - win.start).total_seconds() / bucket_s > MAX_POINTS:
            raise BadRequest(f"at most {MAX_POINTS} buckets per request: widen `bucket`")
        await self._require(tenant, device)
        params = {
            "tenant": tenant,
            "device": device,
            "start": win.start,
            "end": win.end,
            "width": timedelta(seconds=bucket_s),
        }
        sql = _HEALTH_ROLLUP if bucket_s >= 3600 else _HEALTH_RAW
        rows = await self._db.rows(sql, params)
        return HealthSeries(
            device_id=device,
            bucket=bucket,
            start=win.start,
            end=win.end,
            points=[_health_point(r) for r in rows],
        )

    async def telemetry(self, tenant: str, device: str, win: Window) -> TelemetrySeries:
        await self._require(tenant, device)
        params = {
            "tenant": tenant,
            "device": device,
            "start": win.start,
            "end": win.end,
            "limit": MAX_TELEMETRY_ROWS + 1,
        }
        rows = await self._db.rows(_TELEMETRY, params)
        items = [
            TelemetryRow(
                period_start=r[0],
                period_end=r[1],
                frames_captured=r[2],
                frames_analysed=r[3],
                frames_dropped=r[4],
                ad_seconds=r[5],
                content_seconds=r[6],
                breaks=r[7],
                mean_confidence=r[8],
            )
            for r in rows[:MAX_TELEMETRY_ROWS]
        ]
        return TelemetrySeries(
            device_id=device,
            start=win.start,
            end=win.end,
            items=items,
            truncated=len(rows) > MAX_TELEMETRY_ROWS,
        )
