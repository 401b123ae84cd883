"""Read SQL shared by the API and the Grafana dashboards; each runs on both storage paths.

Written once: ``time_bucket`` exists on both paths (TimescaleDB's, or the
``date_bin`` equivalent migration 0001 creates), and the rollups have the same
names and columns (continuous aggregates or materialized views).

API queries use psycopg named parameters (``%(tenant)s``). Grafana panels use
Grafana's macros and template variables (``$__timeFilter(time)``,
``$tenant``); ``cloud.db.grafana`` turns them into dashboards, and a test runs
each one against both paths after expanding the macros like Grafana does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, LiteralString

# ---------------------------------------------------------------- API

DEVICE_COLUMNS = (
    "tenant_id, id, location_id, hardware, firmware, channel, tv, role, status, status_since, "
    "status_reason, last_seen, config_version, created_at"
)

#: Keyset page of devices (``after`` = last id of the previous page, '' for the first).
DEVICES_PAGE = f"""
SELECT {DEVICE_COLUMNS} FROM devices
WHERE tenant_id = %(tenant)s
  AND (%(location)s::text IS NULL OR location_id = %(location)s)
  AND (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(hardware)s::text IS NULL OR hardware = %(hardware)s)
  AND id > %(after)s
ORDER BY id
LIMIT %(limit)s"""

DEVICE = f"SELECT {DEVICE_COLUMNS} FROM devices WHERE tenant_id = %(tenant)s AND id = %(device)s"

#: Online/offline/unknown counts per location of a tenant.
FLEET_SUMMARY = """
SELECT location_id,
       count(*) FILTER (WHERE status = 'online') AS online,
       count(*) FILTER (WHERE status = 'offline') AS offline,
       count(*) FILTER (WHERE status = 'unknown') AS unknown,
       max(last_seen) AS last_seen
FROM devices WHERE tenant_id = %(tenant)s
GROUP BY location_id ORDER BY location_id"""

#: The newest health row of one device within ``since``.
LATEST_HEALTH = """
SELECT time, cpu_percent, memory_percent, disk_percent, temperature_c, uptime_s, fps,
       inference_ms_p50, inference_ms_p95, queue_depth
FROM device_health
WHERE tenant_id = %(tenant)s AND device_id = %(device)s AND time >= %(since)s
ORDER BY time DESC LIMIT 1"""

#: Health of one device bucketed by ``bucket`` (an interval such as '5 minutes').
HEALTH_SERIES = """
SELECT time_bucket(%(bucket)s::interval, time) AS bucket,
       avg(cpu_percent) AS cpu_avg, avg(memory_percent) AS memory_avg,
       avg(temperature_c) AS temperature_avg, avg(fps) AS fps_avg,
       avg(inference_ms_p50) AS inference_ms_p50_avg, max(inference_ms_p95) AS inference_ms_p95_max,
       count(*) AS samples
FROM device_health
WHERE tenant_id = %(tenant)s AND device_id = %(device)s
  AND time >= %(start)s AND time < %(end)s
GROUP BY 1 ORDER BY 1"""

#: Hourly ad minutes per location and channel (from the rollup).
AD_MINUTES_HOURLY = """
SELECT bucket, location_id, channel, breaks, ad_minutes, mean_break_s
FROM ad_minutes_hourly
WHERE tenant_id = %(tenant)s AND bucket >= %(start)s AND bucket < %(end)s
  AND (%(location)s::text IS NULL OR location_id = %(location)s)
ORDER BY bucket, location_id, channel"""

# Ad-break analytics: every group has breaks, ad minutes and the mean break length,
# re-aggregated from sums so that any rollup level gives the same numbers.
_AD_STATS = """sum(breaks)::bigint AS breaks, coalesce(sum(ad_seconds), 0) / 60.0 AS ad_minutes,
       sum(ad_seconds) / nullif(sum(breaks), 0) AS mean_break_s"""

#: Ad breaks per hour of a whole tenant (720 rows for 30 days, whatever the fleet size).
AD_BREAKS_BY_HOUR = f"""
SELECT bucket AS k, {_AD_STATS}
FROM ad_breaks_tenant_hourly
WHERE tenant_id = %(tenant)s AND bucket >= %(start)s AND bucket < %(end)s
GROUP BY k ORDER BY k"""

#: Ad breaks per hour of one location.
AD_BREAKS_BY_HOUR_AT = f"""
SELECT bucket AS k, {_AD_STATS}
FROM ad_minutes_hourly
WHERE tenant_id = %(tenant)s AND location_id = %(location)s
  AND bucket >= %(start)s AND bucket < %(end)s
GROUP BY k ORDER BY k"""

_LOCATION = "(%(location)s::text IS NULL OR location_id = %(location)s::text)"
_BY_GROUP = f"""
SELECT {{key}} AS k, {_AD_STATS}
FROM (
  SELECT location_id, channel, breaks, ad_seconds FROM ad_minutes_hourly
  WHERE tenant_id = %(tenant)s AND {_LOCATION} AND bucket >= %(start)s AND bucket < %(days_start)s
  UNION ALL
  SELECT location_id, channel, breaks, ad_seconds FROM ad_breaks_daily
  WHERE tenant_id = %(tenant)s AND {_LOCATION}
    AND bucket >= %(days_start)s AND bucket < %(days_end)s
  UNION ALL
  SELECT location_id, channel, breaks, ad_seconds FROM ad_minutes_hourly
  WHERE tenant_id = %(tenant)s AND {_LOCATION} AND bucket >= %(days_end)s AND bucket < %(end)s
) AS parts
GROUP BY k ORDER BY k"""

#: Ad breaks per location / channel: whole UTC days from the daily rollup, the hours
#: before the first and after the last whole day from the hourly one (see ``day_split``).
AD_BREAKS_BY_LOCATION = _BY_GROUP.format(key="location_id")
AD_BREAKS_BY_CHANNEL = _BY_GROUP.format(key="channel")

AdGroup = Literal["hour", "location", "channel"]
_DAY = timedelta(days=1)


def day_split(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The whole UTC days inside [start, end) as (days_start, days_end).

    Both are ``end`` when no whole day fits, so the daily part reads nothing and
    the first hourly part covers the window. ``start`` and ``end`` are aware datetimes
    on whole hours (the rollups' grain).
    """
    s, e = start.astimezone(UTC), end.astimezone(UTC)
    midnight = s.replace(hour=0, minute=0, second=0, microsecond=0)
    days_end = e.replace(hour=0, minute=0, second=0, microsecond=0)
    if days_end <= midnight or (days_end == midnight + _DAY and midnight != s):
        return end, end  # no whole day (and no "midnight + 1 day" past datetime.max)
    return (midnight if midnight == s else midnight + _DAY), days_end


def ad_breaks_query(
    group_by: AdGroup, tenant: str, start: datetime, end: datetime, location: str | None
) -> tuple[LiteralString, dict[str, Any]]:
    """The SQL and parameters of one ad-break analytics request (hour-aligned window)."""
    params: dict[str, Any] = {"tenant": tenant, "start": start, "end": end, "location": location}
    if group_by == "hour":
        return (AD_BREAKS_BY_HOUR if location is None else AD_BREAKS_BY_HOUR_AT), params
    params["days_start"], params["days_end"] = day_split(start, end)
    return (AD_BREAKS_BY_LOCATION if group_by == "location" else AD_BREAKS_BY_CHANNEL), params


#: Ended breaks (newest first) of a tenant in a time range.
BREAKS = """
SELECT time, location_id, device_id, break_id, source, started_at, ended_at, duration_s,
       confidence, action, controller, model_version
FROM ad_events
WHERE tenant_id = %(tenant)s AND event = 'ended' AND time >= %(start)s AND time < %(end)s
  AND (%(location)s::text IS NULL OR location_id = %(location)s)
ORDER BY time DESC, message_id LIMIT %(limit)s"""

#: Which messages of a set are stored (by id): used by end-to-end checks.
STORED_IDS = "SELECT message_id FROM {table} WHERE message_id = ANY(%(ids)s::uuid[])"

# ---------------------------------------------------------------- Grafana panels

Format = Literal["time_series", "table"]
Kind = Literal["timeseries", "table", "stat", "barchart", "piechart"]


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    sql: str
    columns: tuple[str, ...]  # what the panel reads, checked by the test
    kind: Kind = "timeseries"
    format: Format = "time_series"
    unit: str = "short"


TENANT = "tenant_id = '$tenant'"
LOCATIONS = "location_id IN ($location)"
DEVICES = "device_id IN ($device)"


def _health(column: str, agg: str = "avg", alias: str | None = None) -> str:
    return f"""SELECT $__timeGroupAlias(time, $__interval), device_id AS metric,
  {agg}({column}) AS {alias or column}
FROM device_health
WHERE {TENANT} AND {LOCATIONS} AND {DEVICES} AND $__timeFilter(time)
GROUP BY 1, 2 ORDER BY 1, 2"""


FLEET = (
    Panel(
        "Devices by status",
        f"SELECT status, count(*) AS devices FROM devices WHERE {TENANT} GROUP BY status "
        "ORDER BY status",
        ("status", "devices"), kind="piechart", format="table",
    ),
    Panel(
        "Online / offline by location",
        f"""SELECT location_id AS location,
  count(*) FILTER (WHERE status = 'online') AS online,
  count(*) FILTER (WHERE status = 'offline') AS offline,
  count(*) FILTER (WHERE status = 'unknown') AS unknown
FROM devices WHERE {TENANT} AND {LOCATIONS}
GROUP BY location_id ORDER BY location_id""",
        ("location", "online", "offline", "unknown"), kind="barchart", format="table",
    ),
    Panel(
        "Last seen (oldest first)",
        f"""SELECT id AS device, location_id AS location, status, last_seen,
  extract(epoch FROM $__timeTo() - last_seen) AS last_seen_age_s
FROM devices WHERE {TENANT} AND {LOCATIONS}
ORDER BY last_seen NULLS FIRST, id LIMIT 500""",
        ("device", "location", "status", "last_seen", "last_seen_age_s"),
        kind="table", format="table",
    ),
    Panel(
        "Status changes",
        f"""SELECT $__timeGroupAlias(time, $__interval), state AS metric, count(*) AS changes
FROM device_status_events WHERE {TENANT} AND {LOCATIONS} AND $__timeFilter(time)
GROUP BY 1, 2 ORDER BY 1, 2""",
        ("time", "metric", "changes"),
    ),
)  # fmt: skip

HEALTH = (
    Panel("CPU %", _health("cpu_percent"), ("time", "metric", "cpu_percent"), unit="percent"),
    Panel("Memory %", _health("memory_percent"), ("time", "metric", "memory_percent"),
          unit="percent"),
    Panel("Temperature °C", _health("temperature_c"), ("time", "metric", "temperature_c"),
          unit="celsius"),
    Panel("Frames per second", _health("fps"), ("time", "metric", "fps")),
    Panel("Inference p95 (ms)", _health("inference_ms_p95", "max"),
          ("time", "metric", "inference_ms_p95"), unit="ms"),
    Panel("Inference p50 (ms)", _health("inference_ms_p50"),
          ("time", "metric", "inference_ms_p50"), unit="ms"),
    Panel(
        "Hourly CPU (rollup)",
        f"""SELECT bucket AS time, device_id AS metric, cpu_avg
FROM health_hourly WHERE {TENANT} AND {LOCATIONS} AND {DEVICES} AND $__timeFilter(bucket)
ORDER BY 1, 2""",
        ("time", "metric", "cpu_avg"), unit="percent",
    ),
)  # fmt: skip

ADS = (
    Panel(
        "Ad minutes per hour by location",
        f"""SELECT bucket AS time, location_id AS metric, sum(ad_minutes) AS ad_minutes
FROM ad_minutes_hourly WHERE {TENANT} AND {LOCATIONS} AND $__timeFilter(bucket)
GROUP BY 1, 2 ORDER BY 1, 2""",
        ("time", "metric", "ad_minutes"), kind="barchart",
    ),
    Panel(
        "Breaks per channel",
        f"""SELECT channel, sum(breaks) AS breaks
FROM ad_minutes_hourly WHERE {TENANT} AND {LOCATIONS} AND $__timeFilter(bucket)
GROUP BY channel ORDER BY breaks DESC, channel""",
        ("channel", "breaks"), kind="barchart", format="table",
    ),
    Panel(
        "Mean break length per channel (s)",
        f"""SELECT channel, sum(ad_seconds) / nullif(sum(breaks), 0) AS mean_break_s
FROM ad_minutes_hourly WHERE {TENANT} AND {LOCATIONS} AND $__timeFilter(bucket)
GROUP BY channel ORDER BY channel""",
        ("channel", "mean_break_s"), kind="barchart", format="table", unit="s",
    ),
    Panel(
        "Ad share of airtime (telemetry)",
        f"""SELECT $__timeGroupAlias(time, $__interval),
  100.0 * sum(ad_seconds) / nullif(sum(ad_seconds + content_seconds), 0) AS ad_share_percent
FROM telemetry WHERE {TENANT} AND {LOCATIONS} AND $__timeFilter(time)
GROUP BY 1 ORDER BY 1""",
        ("time", "ad_share_percent"), unit="percent",
    ),
    Panel(
        "Recent breaks",
        f"""SELECT time, location_id AS location, device_id AS device, source AS channel,
  duration_s, confidence, action
FROM ad_events WHERE {TENANT} AND {LOCATIONS} AND event = 'ended' AND $__timeFilter(time)
ORDER BY time DESC, message_id LIMIT 200""",
        ("time", "location", "device", "channel", "duration_s", "confidence", "action"),
        kind="table", format="table",
    ),
)  # fmt: skip


def _counter_rate(metric: str, label: str) -> str:
    """Per-second rate of a cumulative counter (``*_total``) written by every instance.

    Increases are taken between consecutive samples of one series (instance + labels);
    a drop means the process restarted, and then the new value is the increase.
    """
    return f"""WITH s AS (
  SELECT time, labels, value,
    value - lag(value) OVER w AS dv
  FROM pipeline_metrics WHERE metric = '{metric}' AND $__timeFilter(time)
  WINDOW w AS (PARTITION BY component, instance, labels ORDER BY time)
)
SELECT $__timeGroupAlias(time, $__interval), coalesce(labels->>'{label}', '') AS metric,
  sum(CASE WHEN dv < 0 THEN value ELSE dv END) / ($__interval_ms / 1000.0) AS per_second
FROM s WHERE dv IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2"""


PIPELINE = (
    Panel("Rows stored per table (/s)", _counter_rate("ingested_total", "table"),
          ("time", "metric", "per_second"), unit="reqps"),
    Panel("Records consumed per kind (/s)", _counter_rate("records_total", "kind"),
          ("time", "metric", "per_second"), unit="reqps"),
    Panel("Dead letters per reason (/s)", _counter_rate("dead_letters_total", "reason"),
          ("time", "metric", "per_second"), unit="reqps"),
    Panel(
        "Kafka consumer lag per topic",
        """SELECT time, metric, sum(lag) AS lag FROM (
  SELECT $__timeGroupAlias(time, $__interval), labels->>'topic' AS metric, instance,
    max(value) AS lag
  FROM pipeline_metrics WHERE metric = 'kafka_lag' AND $__timeFilter(time)
  GROUP BY 1, 2, 3
) per_instance
GROUP BY 1, 2 ORDER BY 1, 2""",
        ("time", "metric", "lag"),
    ),
    Panel(
        "Device → database latency p99 (s, health)",
        """SELECT $__timeGroupAlias(time, $__interval),
  percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM ingested_at - time))
    AS latency_p99_s
FROM device_health WHERE $__timeFilter(time)
GROUP BY 1 ORDER BY 1""",
        ("time", "latency_p99_s"), unit="s",
    ),
)  # fmt: skip

#: dashboard uid -> (title, panels)
DASHBOARDS: dict[str, tuple[str, tuple[Panel, ...]]] = {
    "adwatch-fleet": ("adwatch · Fleet overview", FLEET),
    "adwatch-health": ("adwatch · Device health", HEALTH),
    "adwatch-ads": ("adwatch · Ad analytics", ADS),
    "adwatch-pipeline": ("adwatch · Pipeline", PIPELINE),
}

#: Template variables (name -> query); ``$tenant`` is single, the others multi with All.
VARIABLES: dict[str, str] = {
    "tenant": "SELECT id FROM tenants ORDER BY id",
    "location": "SELECT id FROM locations WHERE tenant_id = '$tenant' ORDER BY id",
    "device": "SELECT id FROM devices WHERE tenant_id = '$tenant' AND location_id IN ($location) "
    "ORDER BY id",
}
