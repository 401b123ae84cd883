"""Batched, idempotent writers the stream processors call (psycopg 3, async and sync).

One batch = one transaction: tenants, locations and devices first seen are
created, every device touched moves ``last_seen``/``status`` forward, and each
time-series table gets ONE ``INSERT ... SELECT FROM unnest(...) ON CONFLICT
(message_id, time) DO NOTHING`` (one parameter per column, so the statement
text is constant and server-side prepared, whatever the batch size). A
redelivered message has the same id and ``ts``, so it is counted as a duplicate
and stored once. The caller commits its Kafka offsets after this returns.

Errors are translated: connection trouble is ``DbUnavailable`` (retry the same
batch), anything else ``DbError``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
import psycopg

from cloud.db.errors import DbError, DbUnavailable
from cloud.db.rows import COLUMNS, HEADER, HEADER_TYPES, Batch, DeviceTouch, Row, plan
from schemas.kafka import IngestRecord


@dataclass(frozen=True, slots=True)
class SinkResult:
    inserted: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    devices: int = 0
    ignored: int = 0

    @property
    def total_inserted(self) -> int:
        return sum(self.inserted.values())

    @property
    def total_duplicates(self) -> int:
        return sum(self.duplicates.values())


class MetricSample(msgspec.Struct, frozen=True, kw_only=True):
    """One pipeline metric sample for ``pipeline_metrics`` (Grafana's pipeline dashboard)."""

    time: datetime
    component: str  # "connector", "stream", ...
    metric: str  # "ingested_total", "dead_letters_total", "kafka_lag", ...
    value: float
    instance: str = ""
    labels: dict[str, str] = msgspec.field(default_factory=dict)


def _insert_sql(table: str) -> str:
    cols, types = COLUMNS[table]
    names = ", ".join((*HEADER, *cols))
    arrays = ", ".join(f"%s::{t}[]" for t in (*HEADER_TYPES, *types))
    return (
        f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) "
        "ON CONFLICT (message_id, time) DO NOTHING"
    )


INSERT_SQL = {table: _insert_sql(table) for table in COLUMNS}

TENANTS_SQL = (
    "INSERT INTO tenants (id, name) SELECT DISTINCT t, t FROM unnest(%s::text[]) AS u(t) "
    "ON CONFLICT (id) DO NOTHING"
)
LOCATIONS_SQL = (
    "INSERT INTO locations (tenant_id, id, name) "
    "SELECT DISTINCT t, l, l FROM unnest(%s::text[], %s::text[]) AS u(t, l) "
    "ON CONFLICT (tenant_id, id) DO NOTHING"
)
_DEVICE_ROWS = """unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::text[],
    %s::timestamptz[], %s::timestamptz[], %s::text[], %s::timestamptz[], %s::text[], %s::text[],
    %s::int8[]) AS u(t, i, l, seen, st, sk, since, reason, its, fw, hw, cv)"""
# New devices: inserted as the batch describes them (an implied 'online' starts at its key).
NEW_DEVICES_SQL = f"""
INSERT INTO devices (tenant_id, id, location_id, last_seen, status, status_ts, status_since,
    status_reason, firmware, hardware, config_version)
SELECT t, i, l, seen, coalesce(st, 'unknown'), sk, coalesce(since, sk), coalesce(reason, ''),
    coalesce(fw, ''), coalesce(hw, ''), cv
FROM {_DEVICE_ROWS}
ON CONFLICT (tenant_id, id) DO NOTHING"""
# Known devices: move forward only. ``since`` is NULL for implied evidence (not a status
# message): then an unchanged state keeps its start and a changed one starts at the key.
_NEWER = "(sk IS NOT NULL AND (d.status_ts IS NULL OR sk > d.status_ts))"
_INFO = "(its IS NOT NULL AND (d.status_since IS NULL OR its >= d.status_since))"
UPDATE_DEVICES_SQL = f"""
UPDATE devices AS d SET
    last_seen = greatest(d.last_seen, seen),
    location_id = CASE WHEN d.last_seen IS NULL OR seen >= d.last_seen THEN l
        ELSE d.location_id END,
    status = CASE WHEN {_NEWER} THEN st ELSE d.status END,
    status_since = CASE
        WHEN NOT {_NEWER} THEN d.status_since
        WHEN since IS NOT NULL THEN since
        WHEN st = d.status THEN coalesce(d.status_since, sk)
        ELSE sk END,
    status_reason = CASE WHEN {_NEWER} THEN coalesce(reason, '') ELSE d.status_reason END,
    firmware = CASE WHEN {_INFO} AND fw <> '' THEN fw ELSE d.firmware END,
    hardware = CASE WHEN {_INFO} AND hw <> '' THEN hw ELSE d.hardware END,
    config_version = CASE WHEN {_INFO} AND cv IS NOT NULL THEN cv ELSE d.config_version END,
    status_ts = greatest(d.status_ts, sk)
FROM {_DEVICE_ROWS}
WHERE d.tenant_id = u.t AND d.id = u.i"""
METRICS_SQL = (
    "INSERT INTO pipeline_metrics (time, component, instance, metric, value, labels) "
    "SELECT * FROM unnest(%s::timestamptz[], %s::text[], %s::text[], %s::text[], "
    "%s::float8[], %s::jsonb[])"
)


def _columns(rows: Sequence[Row]) -> list[list[Any]]:
    """Rows to per-column lists (the ``unnest`` parameters)."""
    return [list(col) for col in zip(*rows, strict=True)]


def device_params(touches: Sequence[DeviceTouch]) -> list[list[Any]]:
    rows = [
        (t.tenant, t.device, t.location, t.last_seen, t.status, t.status_key, t.status_since,
         t.status_reason, t.info_ts, t.firmware, t.hardware, t.config_version)
        for t in sorted(touches, key=lambda t: (t.tenant, t.device))
    ]  # fmt: skip
    return _columns(rows)


def statements(batch: Batch) -> Iterator[tuple[str | None, str, list[list[Any]]]]:
    """(table or None, SQL, params) in execution order for one batch."""
    if not batch.touches:
        return
    tenants = [t.tenant for t in batch.touches]
    yield None, TENANTS_SQL, [tenants]
    yield None, LOCATIONS_SQL, [tenants, [t.location for t in batch.touches]]
    devices = device_params(batch.touches)
    yield None, NEW_DEVICES_SQL, devices
    yield None, UPDATE_DEVICES_SQL, devices
    for table in sorted(batch.rows):  # a fixed order avoids lock-order deadlocks
        yield table, INSERT_SQL[table], _columns(batch.rows[table])


def _result(batch: Batch, inserted: dict[str, int]) -> SinkResult:
    dups = {t: len(batch.rows[t]) - n for t, n in inserted.items()}
    return SinkResult(inserted, dups, devices=len(batch.touches), ignored=batch.ignored)


@contextmanager
def translated() -> Iterator[None]:
    """psycopg errors as the ``cloud.db`` error root."""
    try:
        yield
    except psycopg.OperationalError as exc:
        raise DbUnavailable(str(exc)) from exc
    except psycopg.Error as exc:
        raise DbError(f"{type(exc).__name__}: {exc}") from exc


async def write_records(
    conn: psycopg.AsyncConnection[Any], records: Sequence[IngestRecord]
) -> SinkResult:
    """Store one batch in one transaction; safe to call again with the same records."""
    batch = plan(records)
    inserted: dict[str, int] = {}
    with translated():
        async with conn.transaction(), conn.cursor() as cur:
            for table, sql, params in statements(batch):
                await cur.execute(sql, params)
                if table is not None:
                    inserted[table] = max(cur.rowcount, 0)
    return _result(batch, inserted)


def write_records_sync(
    conn: psycopg.Connection[Any], records: Sequence[IngestRecord]
) -> SinkResult:
    """The same as :func:`write_records` on a sync connection."""
    batch = plan(records)
    inserted: dict[str, int] = {}
    with translated(), conn.transaction(), conn.cursor() as cur:
        for table, sql, params in statements(batch):
            cur.execute(sql, params)
            if table is not None:
                inserted[table] = max(cur.rowcount, 0)
    return _result(batch, inserted)


def metric_params(samples: Sequence[MetricSample]) -> list[list[Any]]:
    rows = [
        (s.time, s.component, s.instance, s.metric, s.value, msgspec.json.encode(s.labels).decode())
        for s in samples
    ]
    return _columns(rows)


async def write_metrics(conn: psycopg.AsyncConnection[Any], samples: Sequence[MetricSample]) -> int:
    """Append pipeline metric samples (one statement, one transaction)."""
    if not samples:
        return 0
    with translated():
        async with conn.transaction(), conn.cursor() as cur:
            await cur.execute(METRICS_SQL, metric_params(samples))
            return max(cur.rowcount, 0)


def write_metrics_sync(conn: psycopg.Connection[Any], samples: Sequence[MetricSample]) -> int:
    if not samples:
        return 0
    with translated(), conn.transaction(), conn.cursor() as cur:
        cur.execute(METRICS_SQL, metric_params(samples))
        return max(cur.rowcount, 0)
