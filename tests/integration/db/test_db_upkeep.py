"""Upkeep: partitions ahead, stray rows moved out of DEFAULT, retention on both paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cloud.db.storage_path import StoragePath
from cloud.db.upkeep import UpkeepOptions, run_upkeep
from tests.integration.db.conftest import Target

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

NOW = datetime.now(UTC)
INSERT = (
    "INSERT INTO pipeline_metrics (time, component, metric, value) "
    "VALUES (%s, 'test', 'm', 1), (%s, 'test', 'm', 2), (%s, 'test', 'm', 3)"
)
OLD, MIDDLE, RECENT = NOW - timedelta(days=200), NOW - timedelta(days=20), NOW


def test_plain_partition_upkeep(plain_target: Target) -> None:
    plain_target.upgrade()
    with plain_target.connect(autocommit=True) as conn:
        conn.execute(INSERT, (OLD, MIDDLE, RECENT))  # OLD, MIDDLE land in DEFAULT
        later = NOW + timedelta(days=10)  # partitions run out: upkeep adds the days
        report = run_upkeep(conn, now=later)
        assert f"pipeline_metrics_p{MIDDLE:%Y%m%d}" in report.created
        assert f"device_health_p{later + timedelta(days=7):%Y%m%d}" in report.created
        assert report.moved_rows == 1 and report.deleted_rows == 1  # MIDDLE moved, OLD gone
        where = conn.execute(
            "SELECT tableoid::regclass::text, value FROM pipeline_metrics ORDER BY time"
        ).fetchall()
        assert where == [(f"pipeline_metrics_p{MIDDLE:%Y%m%d}", 2.0),
                         (f"pipeline_metrics_p{RECENT:%Y%m%d}", 3.0)]  # fmt: skip
        # 100 days on, the whole-day rule drops everything but the new partitions.
        report = run_upkeep(conn, now=NOW + timedelta(days=100))
        assert f"pipeline_metrics_p{MIDDLE:%Y%m%d}" in report.dropped
        assert conn.execute("SELECT count(*) FROM pipeline_metrics").fetchone() == (0,)
        again = run_upkeep(conn, now=NOW + timedelta(days=100))  # idempotent
        assert again.created == [] and again.dropped == [] and again.moved_rows == 0


def test_timescale_retention_job(timescale_target: Target) -> None:
    timescale_target.upgrade()
    with timescale_target.connect(autocommit=True) as conn:
        conn.execute(INSERT, (OLD, MIDDLE, RECENT))
        report = run_upkeep(conn, opts=UpkeepOptions(run_jobs=True))
        assert report.path is StoragePath.TIMESCALE and report.jobs_run
        values = [r[0] for r in conn.execute(
            "SELECT value FROM pipeline_metrics ORDER BY time").fetchall()]  # fmt: skip
        assert values == [2.0, 3.0]  # the 200-day-old chunk was dropped
        compressed = conn.execute(
            "SELECT count(*) FROM timescaledb_information.chunks WHERE is_compressed "
            "AND hypertable_name = 'pipeline_metrics' AND hypertable_schema = current_schema()"
        ).fetchone()
        assert compressed == (1,)  # the 20-day-old chunk, past compress_after (7 days)
