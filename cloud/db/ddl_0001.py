"""DDL of migration 0001 for both storage paths (frozen: later revisions add their own).

The relational tables are identical on both paths. The time series are
hypertables (TimescaleDB) or tables partitioned by range on ``time`` with daily
partitions and a default partition (plain PostgreSQL). The hourly rollups have
the same names and columns on both: continuous aggregates or materialized views.
On plain PostgreSQL a ``time_bucket(interval, timestamptz)`` built on
``date_bin`` with TimescaleDB's origin (2000-01-03) lets every query be written
once.
"""

from __future__ import annotations

from datetime import date

from cloud.db import partitions
from cloud.db.options import StorageOptions
from cloud.db.storage_path import StoragePath

RELATIONAL = [
    """CREATE TABLE tenants (
        id text PRIMARY KEY,
        name text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now())""",
    """CREATE TABLE locations (
        tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id text NOT NULL,
        name text NOT NULL DEFAULT '',
        timezone text NOT NULL DEFAULT 'UTC',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id))""",
    """CREATE TABLE devices (
        tenant_id text NOT NULL,
        id text NOT NULL,
        location_id text NOT NULL,
        hardware text NOT NULL DEFAULT '',
        firmware text NOT NULL DEFAULT '',
        channel text NOT NULL DEFAULT '',
        tv text NOT NULL DEFAULT '',
        role text NOT NULL DEFAULT 'worker',
        status text NOT NULL DEFAULT 'unknown'
            CHECK (status IN ('online', 'offline', 'unknown')),
        status_since timestamptz,
        status_reason text NOT NULL DEFAULT '',
        status_ts timestamptz,
        last_seen timestamptz,
        config_version bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
            ON DELETE CASCADE)""",
    "CREATE INDEX ix_devices_tenant_location ON devices (tenant_id, location_id, id)",
    "CREATE INDEX ix_devices_tenant_status ON devices (tenant_id, status, id)",
    "CREATE INDEX ix_devices_tenant_hardware ON devices (tenant_id, hardware, id)",
    "CREATE INDEX ix_devices_tenant_last_seen ON devices (tenant_id, last_seen)",
    """CREATE TABLE device_credentials (
        tenant_id text NOT NULL,
        device_id text NOT NULL,
        username text NOT NULL UNIQUE,
        password_hash text NOT NULL CHECK (left(password_hash, 1) = '$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        rotated_at timestamptz,
        PRIMARY KEY (tenant_id, device_id),
        FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id) ON DELETE CASCADE)""",
    """CREATE TABLE firmware (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        version text NOT NULL,
        channel text NOT NULL,
        hardware text NOT NULL,
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        size bigint NOT NULL CHECK (size >= 0),
        artifact_path text NOT NULL,
        signature text NOT NULL,
        notes text NOT NULL DEFAULT '',
        released_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now())""",
    "CREATE UNIQUE INDEX uq_firmware_release ON firmware (tenant_id, channel, hardware, version)",
    "CREATE INDEX ix_firmware_latest ON firmware (tenant_id, channel, hardware, released_at)",
    """CREATE TABLE rollouts (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        firmware_id text NOT NULL REFERENCES firmware (id) ON DELETE RESTRICT,
        channel text NOT NULL,
        hardware text NOT NULL,
        state text NOT NULL DEFAULT 'pending',
        percent integer NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now())""",
    "CREATE INDEX ix_rollouts_tenant_state ON rollouts (tenant_id, state)",
    "CREATE TABLE storage_settings (key text PRIMARY KEY, value text NOT NULL)",
]

_HEADER = """
        message_id uuid NOT NULL,
        time timestamptz NOT NULL,
        tenant_id text NOT NULL,
        location_id text NOT NULL,
        device_id text NOT NULL,
        received_at timestamptz,
        ingested_at timestamptz NOT NULL DEFAULT now(),"""

# table -> (columns after the header, compression segment-by)
SERIES: dict[str, str] = {
    "device_health": """
        cpu_percent double precision NOT NULL,
        memory_percent double precision NOT NULL,
        disk_percent double precision NOT NULL,
        temperature_c double precision,
        uptime_s double precision NOT NULL,
        fps double precision NOT NULL,
        inference_ms_p50 double precision NOT NULL,
        inference_ms_p95 double precision NOT NULL,
        queue_depth bigint NOT NULL""",
    "telemetry": """
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        frames_captured bigint NOT NULL,
        frames_analysed bigint NOT NULL,
        frames_dropped bigint NOT NULL,
        ad_seconds double precision NOT NULL,
        content_seconds double precision NOT NULL,
        breaks bigint NOT NULL,
        mean_confidence double precision""",
    "ad_events": """
        event text NOT NULL CHECK (event IN ('started', 'ended')),
        break_id uuid NOT NULL,
        source text NOT NULL,
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        duration_s double precision,
        confidence double precision NOT NULL,
        action text NOT NULL,
        controller text NOT NULL,
        model_version text NOT NULL""",
    "device_status_events": """
        state text NOT NULL,
        since timestamptz NOT NULL,
        firmware text NOT NULL,
        hardware text NOT NULL,
        config_version bigint,
        reason text NOT NULL""",
    "ota_states": """
        rollout_id text NOT NULL,
        step text NOT NULL,
        firmware_version text NOT NULL,
        error text""",
    "command_results": """
        command_id uuid NOT NULL,
        ok boolean NOT NULL,
        detail text NOT NULL,
        data jsonb NOT NULL""",
}

PIPELINE_METRICS = """
        time timestamptz NOT NULL,
        component text NOT NULL,
        instance text NOT NULL DEFAULT '',
        metric text NOT NULL,
        value double precision NOT NULL,
        labels jsonb NOT NULL DEFAULT '{}'"""

SERIES_INDEXES = {
    "device_health": ["(tenant_id, device_id, time DESC)", "(tenant_id, location_id, time DESC)"],
    "telemetry": ["(tenant_id, device_id, time DESC)", "(tenant_id, location_id, time DESC)"],
    "ad_events": [
        "(tenant_id, location_id, time DESC)",
        "(tenant_id, device_id, time DESC)",
        "(break_id)",
    ],
    "device_status_events": ["(tenant_id, device_id, time DESC)"],
    "ota_states": ["(tenant_id, rollout_id, time DESC)", "(tenant_id, device_id, time DESC)"],
    "command_results": ["(command_id)", "(tenant_id, device_id, time DESC)"],
    "pipeline_metrics": ["(component, metric, time DESC)"],
}

ALL_SERIES = (*SERIES, "pipeline_metrics")

ROLLUPS: dict[str, tuple[str, str]] = {
    # view -> (select, unique key of its rows)
    "ad_minutes_hourly": (
        """SELECT time_bucket(INTERVAL '1 hour', time) AS bucket,
            tenant_id, location_id, source AS channel,
            count(*) AS breaks,
            sum(duration_s) AS ad_seconds,
            sum(duration_s) / 60.0 AS ad_minutes,
            avg(duration_s) AS mean_break_s
        FROM ad_events WHERE event = 'ended'
        GROUP BY 1, 2, 3, 4""",
        "bucket, tenant_id, location_id, channel",
    ),
    "health_hourly": (
        """SELECT time_bucket(INTERVAL '1 hour', time) AS bucket,
            tenant_id, location_id, device_id,
            count(*) AS samples,
            avg(cpu_percent) AS cpu_avg, max(cpu_percent) AS cpu_max,
            avg(memory_percent) AS memory_avg, max(memory_percent) AS memory_max,
            avg(disk_percent) AS disk_avg,
            avg(temperature_c) AS temperature_avg, max(temperature_c) AS temperature_max,
            avg(fps) AS fps_avg, min(fps) AS fps_min,
            avg(inference_ms_p50) AS inference_ms_p50_avg,
            max(inference_ms_p95) AS inference_ms_p95_max,
            max(queue_depth) AS queue_depth_max
        FROM device_health
        GROUP BY 1, 2, 3, 4""",
        "bucket, tenant_id, location_id, device_id",
    ),
}

# TimescaleDB's TSL module (compression, continuous aggregates, policies) is loaded at
# server start. The PGlite test harness skips that when it reopens a data folder, and
# then every TSL feature fails with "not supported under the current license"; load it
# here in that case. A no-op on a normal server, where it is always loaded.
ENSURE_TSL = """DO $$
DECLARE v text;
BEGIN
  IF current_setting('timescaledb.license', true) = 'timescale'
     AND NOT _timescaledb_functions.tsl_loaded() THEN
    SELECT extversion INTO v FROM pg_extension WHERE extname = 'timescaledb';
    EXECUTE 'LOAD ' || quote_literal('$libdir/timescaledb-tsl-' || v);
  END IF;
END $$"""

TIME_BUCKET_COMPAT = """CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz)
    RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT date_bin(bucket_width, ts, TIMESTAMPTZ '2000-01-03 00:00:00+00') $$"""


def _create_series(table: str, suffix: str) -> str:
    if table == "pipeline_metrics":
        return f"CREATE TABLE {table} ({PIPELINE_METRICS}){suffix}"
    return (
        f"CREATE TABLE {table} ({_HEADER}{SERIES[table]},\n"
        f"        PRIMARY KEY (message_id, time)){suffix}"
    )


def _indexes(table: str) -> list[str]:
    return [
        f"CREATE INDEX ix_{table}_{i} ON {table} {cols}"
        for i, cols in enumerate(SERIES_INDEXES[table], start=1)
    ]


def _segment_by(table: str) -> str:
    return "component, metric" if table == "pipeline_metrics" else "tenant_id, device_id"


def _order_by(table: str) -> str:
    return "time DESC" if table == "pipeline_metrics" else "time DESC, message_id"


def timescale_series(table: str, opts: StorageOptions) -> list[str]:
    return [
        _create_series(table, ""),
        f"SELECT create_hypertable('{table}', 'time', chunk_time_interval => INTERVAL '1 day')",
        *_indexes(table),
        f"ALTER TABLE {table} SET (timescaledb.compress, "
        f"timescaledb.compress_segmentby = '{_segment_by(table)}', "
        f"timescaledb.compress_orderby = '{_order_by(table)}')",
        f"SELECT add_compression_policy('{table}', INTERVAL '{opts.compress_after_days} days')",
        f"SELECT add_retention_policy('{table}', INTERVAL '{opts.retention_days} days')",
    ]


def postgres_series(table: str, opts: StorageOptions, today: date) -> list[str]:
    days = partitions.wanted_days(today, opts.partition_ahead_days)
    return [
        _create_series(table, " PARTITION BY RANGE (time)"),
        *_indexes(table),
        partitions.create_default_sql(table),
        *(partitions.create_sql(partitions.Partition(table, d)) for d in days),
    ]


def timescale_rollup(view: str, opts: StorageOptions) -> list[str]:
    select, _key = ROLLUPS[view]
    return timescale_rollup_from(view, select, opts, opts.refresh_start_days)


def timescale_rollup_from(
    view: str, select: str, opts: StorageOptions, refresh_start_days: int
) -> list[str]:
    return [
        # Real-time: rows newer than the last refresh are aggregated on read, so
        # dashboards are current although the policy stops an hour short of now.
        f"CREATE MATERIALIZED VIEW {view} WITH (timescaledb.continuous, "
        f"timescaledb.materialized_only = false) AS {select} WITH NO DATA",
        f"SELECT add_continuous_aggregate_policy('{view}', "
        f"start_offset => INTERVAL '{refresh_start_days} days', "
        "end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes')",
        f"SELECT add_retention_policy('{view}', INTERVAL '{opts.retention_days} days')",
    ]


def postgres_rollup(view: str) -> list[str]:
    return postgres_rollup_from(view, *ROLLUPS[view])


def postgres_rollup_from(view: str, select: str, key: str) -> list[str]:
    return [
        # Populated (from empty tables) so it can be read before the first upkeep.
        f"CREATE MATERIALIZED VIEW {view} AS {select}",
        # REFRESH ... CONCURRENTLY needs a unique index; it keeps readers unblocked.
        f"CREATE UNIQUE INDEX uq_{view} ON {view} ({key})",
    ]


def settings_rows(path: StoragePath, opts: StorageOptions) -> list[tuple[str, str]]:
    return [
        ("storage_path", path.value),
        ("retention_days", str(opts.retention_days)),
        ("compress_after_days", str(opts.compress_after_days)),
        ("partition_ahead_days", str(opts.partition_ahead_days)),
    ]


def upgrade(path: StoragePath, opts: StorageOptions, today: date) -> list[str]:
    out: list[str] = []
    if path is StoragePath.TIMESCALE:
        out.append("CREATE EXTENSION IF NOT EXISTS timescaledb")
        out.append(ENSURE_TSL)
    else:
        out.append(TIME_BUCKET_COMPAT)
    out.extend(RELATIONAL)
    for table in ALL_SERIES:
        if path is StoragePath.TIMESCALE:
            out.extend(timescale_series(table, opts))
        else:
            out.extend(postgres_series(table, opts, today))
    for view in ROLLUPS:
        if path is StoragePath.TIMESCALE:
            out.extend(timescale_rollup(view, opts))
        else:
            out.extend(postgres_rollup(view))
    out.extend(
        f"INSERT INTO storage_settings (key, value) VALUES ('{k}', '{v}')"
        for k, v in settings_rows(path, opts)
    )
    return out


def downgrade(path: StoragePath) -> list[str]:
    out = [f"DROP MATERIALIZED VIEW IF EXISTS {v} CASCADE" for v in ROLLUPS]
    # Dropping a partitioned parent drops its partitions; a hypertable, its chunks and jobs.
    out += [f"DROP TABLE IF EXISTS {t} CASCADE" for t in ALL_SERIES]
    out += [
        f"DROP TABLE IF EXISTS {t} CASCADE"
        for t in (
            "storage_settings",
            "rollouts",
            "firmware",
            "device_credentials",
            "devices",
            "locations",
            "tenants",
        )
    ]
    if path is StoragePath.POSTGRES:
        out.append("DROP FUNCTION IF EXISTS time_bucket(interval, timestamptz)")
    return out
