"""TimescaleDB test server (PGlite) in the stack: hypertables and time_bucket via psycopg.

It serves ONE connection at a time, so each test uses a single connection and closes it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_hypertable_and_time_bucket(timescale_dsn: str) -> None:
    table = f"smoke_{uuid.uuid4().hex[:12]}"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [(start + timedelta(minutes=10 * i), i) for i in range(12)]  # two hours of readings
    with psycopg.connect(timescale_dsn, connect_timeout=30, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (ts timestamptz NOT NULL, value int NOT NULL)")
        try:
            conn.execute("SELECT create_hypertable(%s, 'ts')", (table,))
            with conn.cursor() as cur:
                cur.executemany(f"INSERT INTO {table} (ts, value) VALUES (%s, %s)", rows)
            buckets = conn.execute(
                f"SELECT time_bucket('1 hour', ts) AS b, count(*), sum(value) "
                f"FROM {table} GROUP BY b ORDER BY b"
            ).fetchall()
            is_hyper = conn.execute(
                "SELECT count(*) FROM timescaledb_information.hypertables "
                "WHERE hypertable_name = %s",
                (table,),
            ).fetchone()
        finally:
            conn.execute(f"DROP TABLE {table}")
    assert is_hyper == (1,)
    assert buckets == [
        (start, 6, sum(range(6))),
        (start + timedelta(hours=1), 6, sum(range(6, 12))),
    ]
