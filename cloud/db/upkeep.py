"""Scheduled database upkeep (``adwatch-cloud db upkeep``).

Plain PostgreSQL: create the daily partitions ahead, move rows that landed in a
DEFAULT partition into their own daily partition, drop partitions past the
retention (the same whole-day rule as TimescaleDB's ``drop_chunks``) and
refresh the rollup materialized views.

TimescaleDB: its background jobs do retention, compression and refreshes; upkeep
refreshes the continuous aggregates on demand (where no job scheduler runs, e.g.
the PGlite harness, or to backfill) and can run the policy jobs once.

Works on a psycopg connection in autocommit mode: each step is its own
transaction (``refresh_continuous_aggregate`` refuses to run inside one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import structlog

from cloud.db import partitions as parts
from cloud.db.ddl_0001 import ALL_SERIES, ENSURE_TSL
from cloud.db.ddl_0003 import ALL_ROLLUPS
from cloud.db.errors import DbError
from cloud.db.sink import translated
from cloud.db.storage_path import StoragePath, recorded

log = structlog.get_logger(__name__)

CHILDREN_SQL = """SELECT c.relname FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass"""
DEFAULT_DAYS_SQL = """SELECT DISTINCT date_trunc('day', time AT TIME ZONE 'UTC')::date
    FROM {default} WHERE time >= %s ORDER BY 1"""
POLICY_JOBS_SQL = """SELECT job_id FROM timescaledb_information.jobs
    WHERE proc_name IN ('policy_retention', 'policy_compression')
      AND hypertable_schema = current_schema() ORDER BY job_id"""


@dataclass(frozen=True, slots=True)
class UpkeepOptions:
    full_refresh: bool = False  # refresh rollups over all time (else the recent window)
    refresh_days: int = 3  # TimescaleDB: the refresh window when not full
    run_jobs: bool = False  # TimescaleDB: run the retention/compression jobs once now


@dataclass(slots=True)
class UpkeepReport:
    path: StoragePath
    created: list[str] = field(default_factory=list)
    moved_rows: int = 0
    dropped: list[str] = field(default_factory=list)
    deleted_rows: int = 0
    refreshed: list[str] = field(default_factory=list)
    jobs_run: list[int] = field(default_factory=list)


def _settings(conn: psycopg.Connection[Any]) -> dict[str, str]:
    rows = conn.execute("SELECT key, value FROM storage_settings").fetchall()
    return {str(k): str(v) for k, v in rows}


def _children(conn: psycopg.Connection[Any], table: str) -> list[str]:
    return [str(r[0]) for r in conn.execute(CHILDREN_SQL, (table,)).fetchall()]


def _move_default_day(conn: psycopg.Connection[Any], p: parts.Partition) -> int:
    """Give a day that only the DEFAULT partition holds its own partition, rows and all."""
    default = parts.default_name(p.table)
    where = parts.bounds_predicate(p)
    with conn.transaction():
        conn.execute(f"LOCK TABLE {default} IN ACCESS EXCLUSIVE MODE")
        conn.execute(
            f"CREATE TABLE {p.name} (LIKE {p.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        moved = conn.execute(f"INSERT INTO {p.name} SELECT * FROM {default} WHERE {where}")
        conn.execute(f"DELETE FROM {default} WHERE {where}")
        conn.execute(
            f"ALTER TABLE {p.table} ATTACH PARTITION {p.name} FOR VALUES FROM "
            f"('{p.lower.isoformat()}') TO ('{p.upper.isoformat()}')"
        )
    return max(moved.rowcount, 0)


def _table_upkeep(
    conn: psycopg.Connection[Any], table: str, now: datetime, cfg: dict[str, str],
    report: UpkeepReport,
) -> None:  # fmt: skip
    retention, ahead = int(cfg["retention_days"]), int(cfg["partition_ahead_days"])
    existing = {p.day: p for n in _children(conn, table) if (p := parts.parse_partition(n))}
    cutoff = now - timedelta(days=retention)
    first_kept = datetime.combine(cutoff.date(), datetime.min.time(), tzinfo=UTC)
    default = parts.default_name(table)
    for (day,) in conn.execute(DEFAULT_DAYS_SQL.format(default=default), (first_kept,)):
        if day not in existing:
            p = parts.Partition(table, day)
            report.moved_rows += _move_default_day(conn, p)
            report.created.append(p.name)
            existing[day] = p
    for day in parts.wanted_days(now.date(), ahead):
        if day not in existing:
            p = parts.Partition(table, day)
            conn.execute(parts.create_sql(p))
            report.created.append(p.name)
    for p in parts.expired(sorted(existing.values(), key=lambda p: p.day), now, retention):
        conn.execute(f"DROP TABLE IF EXISTS {p.name}")
        report.dropped.append(p.name)
    # Rows in the default partition obey the same whole-day rule as dropped partitions.
    deleted = conn.execute(f"DELETE FROM {default} WHERE time < %s", (first_kept,))
    report.deleted_rows += max(deleted.rowcount, 0)


def _refresh_matviews(conn: psycopg.Connection[Any], report: UpkeepReport) -> None:
    for view in ALL_ROLLUPS:
        row = conn.execute(
            "SELECT ispopulated FROM pg_matviews WHERE matviewname = %s", (view,)
        ).fetchone()
        populated = bool(row and row[0])
        # CONCURRENTLY keeps readers unblocked but needs a populated view.
        mode = " CONCURRENTLY" if populated else ""
        conn.execute(f"REFRESH MATERIALIZED VIEW{mode} {view}")
        # A concurrent refresh leaves dead rows behind, and index-only scans (the
        # analytics' covering indexes) need the visibility map current: vacuum now
        # rather than whenever autovacuum gets to it.
        conn.execute(f"VACUUM (ANALYZE) {view}")
        report.refreshed.append(view)


def _timescale(
    conn: psycopg.Connection[Any], now: datetime, opts: UpkeepOptions, report: UpkeepReport
) -> None:
    conn.execute(ENSURE_TSL)
    start = None if opts.full_refresh else now - timedelta(days=opts.refresh_days)
    for view in ALL_ROLLUPS:
        if start is None:
            conn.execute("CALL refresh_continuous_aggregate(%s, NULL, NULL)", (view,))
        else:
            conn.execute(
                "CALL refresh_continuous_aggregate(%s, %s::timestamptz, NULL)", (view, start)
            )
        report.refreshed.append(view)
    if opts.run_jobs:
        for (job_id,) in conn.execute(POLICY_JOBS_SQL).fetchall():
            conn.execute("CALL run_job(%s)", (job_id,))
            report.jobs_run.append(int(job_id))


def run_upkeep(
    conn: psycopg.Connection[Any], now: datetime | None = None,
    opts: UpkeepOptions = UpkeepOptions(),
) -> UpkeepReport:  # fmt: skip
    """One round of upkeep on an autocommit connection; safe to run at any time."""
    if not conn.autocommit:
        raise DbError("upkeep needs an autocommit connection")
    now = now or datetime.now(UTC)
    with translated():
        path = recorded(conn.cursor())
        report = UpkeepReport(path)
        if path is StoragePath.TIMESCALE:
            _timescale(conn, now, opts, report)
        else:
            cfg = _settings(conn)
            for table in ALL_SERIES:
                _table_upkeep(conn, table, now, cfg, report)
            _refresh_matviews(conn, report)
    log.info(
        "db.upkeep", path=path.value, created=len(report.created), moved=report.moved_rows,
        dropped=len(report.dropped), deleted=report.deleted_rows, refreshed=report.refreshed,
    )  # fmt: skip
    return report
