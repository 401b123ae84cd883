"""The batched sink on both storage paths: stored exactly once, devices kept current.

One connection per test (the TimescaleDB harness serves one at a time).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from cloud.db.errors import DbUnavailable
from cloud.db.seed import SeedPlan, demo_records
from cloud.db.sink import MetricSample, write_metrics, write_records
from schemas.kafka import IngestRecord
from schemas.messages import DeviceStatus, HealthReport
from schemas.topics import TopicKind
from tests.integration.db.conftest import Target

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

Conn = psycopg.AsyncConnection[Any]
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
TABLE_OF = {
    TopicKind.HEALTH: "device_health", TopicKind.TELEMETRY: "telemetry",
    TopicKind.AD_EVENTS: "ad_events", TopicKind.STATUS: "device_status_events",
}  # fmt: skip


async def _one(conn: Conn, sql: str) -> tuple[Any, ...]:
    cur = await conn.execute(sql)
    row = await cur.fetchone()
    assert row is not None
    return tuple(row)


async def test_batches_are_stored_exactly_once(migrated: Target) -> None:
    plan = SeedPlan(tenants=1, locations=2, devices=2, hours=2, end=NOW - timedelta(hours=1))
    records = demo_records(plan, NOW)
    expected = Counter(TABLE_OF[r.kind] for r in records)
    async with await migrated.aconnect() as conn:
        first = await write_records(conn, records[: len(records) // 2])
        # Redelivery: the second half plus the first half again, with a repeat inside.
        second = await write_records(conn, records[len(records) // 2 :] + records[:20])
        again = await write_records(conn, records)
        assert first.total_inserted + second.total_inserted == len(records)
        assert second.total_duplicates == 20
        assert again.total_inserted == 0 and again.total_duplicates == len(records)
        for table, n in expected.items():
            sql = f"SELECT count(*), count(DISTINCT message_id) FROM {table}"
            assert await _one(conn, sql) == (n, n), table
        cur = await conn.execute("SELECT id, status FROM devices ORDER BY id")
        devices = await cur.fetchall()
        assert await _one(conn, "SELECT count(*) FROM locations") == (2,)
    # Devices "-0" published an offline Last Will at the end; the others stay online.
    assert devices == [("tv-0-0-0", "offline"), ("tv-0-0-1", "online"),
                       ("tv-0-1-0", "offline"), ("tv-0-1-1", "online")]  # fmt: skip


def _rec(msg: HealthReport | DeviceStatus, received: datetime, kind: TopicKind) -> IngestRecord:
    return IngestRecord(tenant="acme", location="hall", device="tv-9", kind=kind,
                        received_at=received, payload=msg)  # fmt: skip


def _status(state: str, ts: datetime, received: datetime, firmware: str) -> IngestRecord:
    msg = DeviceStatus.new(ts=ts, state=state, since=ts, firmware=firmware, hardware="rpi5")
    return _rec(msg, received, TopicKind.STATUS)


def _health(ts: datetime) -> IngestRecord:
    msg = HealthReport.new(
        ts=ts, cpu_percent=1, memory_percent=1, disk_percent=1, uptime_s=1, fps=5,
        inference_ms_p50=1, inference_ms_p95=2, queue_depth=0,
    )  # fmt: skip
    return _rec(msg, ts, TopicKind.HEALTH)


DEVICE_SQL = (
    "SELECT status, status_since, last_seen, firmware FROM devices "
    "WHERE tenant_id = 'acme' AND id = 'tv-9'"
)


async def test_device_status_follows_newest_evidence(migrated: Target) -> None:
    t0 = NOW - timedelta(hours=3)
    m = timedelta(minutes=1)
    async with await migrated.aconnect() as conn:
        await write_records(conn, [_status("online", t0, t0, "2.0"), _health(t0 + 5 * m)])
        assert await _one(conn, DEVICE_SQL) == ("online", t0, t0 + 5 * m, "2.0")
        # The Last Will was composed at connect time (ts = t0) but arrives at t0+10m.
        await write_records(conn, [_status("offline", t0, t0 + 10 * m, "2.0")])
        assert (await _one(conn, DEVICE_SQL))[0] == "offline"
        # Store-and-forward backlog from before the outage does not revive the device.
        await write_records(conn, [_health(t0 + 7 * m)])
        assert (await _one(conn, DEVICE_SQL))[:3] == ("offline", t0, t0 + 7 * m)
        # Back online with new firmware; a redelivered old status changes nothing.
        t1 = t0 + 30 * m
        await write_records(conn, [_status("online", t1, t1, "2.1")])
        await write_records(conn, [_status("online", t0, t1, "2.0")])
        assert await _one(conn, DEVICE_SQL) == ("online", t1, t1, "2.1")


async def test_pipeline_metrics_and_lost_connection(migrated: Target) -> None:
    samples = [
        MetricSample(time=NOW - timedelta(minutes=i), component="stream", metric="ingested",
                     value=100.0 + i, instance="w1", labels={"topic": "adwatch.health"})
        for i in range(5)
    ]  # fmt: skip
    async with await migrated.aconnect() as conn:
        assert await write_metrics(conn, samples) == 5
        sql = "SELECT sum(value), min(labels->>'topic') FROM pipeline_metrics"
        assert await _one(conn, sql) == (510.0, "adwatch.health")
    with pytest.raises(DbUnavailable):  # a dead connection is "retry later", not data loss
        await write_records(conn, [_health(NOW)])
