"""Store a batch until it is stored: database retries, bisection, hot-state update."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import psycopg
import structlog

from cloud.db.errors import DbError, DbUnavailable
from cloud.db.sink import SinkResult, write_records
from cloud.state.errors import StateError
from cloud.state.keys import plan_update
from cloud.state.store import HotState
from cloud.stream import metrics
from cloud.stream.batch import backoff, halves
from schemas.kafka import IngestRecord
from schemas.topics import TopicKind

log = structlog.get_logger("adwatch.stream")

Reject = Callable[[IngestRecord, str], Awaitable[None]]
# A refused batch is retried this often (reconnecting each time) before it is bisected.
REFUSALS_BEFORE_SPLIT = 3


class BatchWriter:
    """One agent's database connection and the retry policy around the sink.

    Connection trouble (``DbUnavailable``) is retried forever with back-off: the offsets
    are not acknowledged meanwhile, so nothing is skipped. A batch the database keeps
    refusing while reachable is bisected; a single record it refuses goes to ``reject``
    (the dead-letter topic) so one poison record cannot stop the pipeline.
    """

    def __init__(self, dsn: str, state: HotState | None, reject: Reject) -> None:
        self._dsn = dsn
        self._state = state
        self._reject = reject
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def store(self, kind: TopicKind, records: Sequence[IngestRecord]) -> None:
        if not records:
            return
        started = time.perf_counter()
        await self._store_all(list(records))
        metrics.BATCH_SECONDS.labels(kind.value).observe(time.perf_counter() - started)
        metrics.RECORDS.labels(kind.value).inc(len(records))
        await self._update_state(records)

    async def _store_all(self, records: list[IngestRecord]) -> None:
        refusals = 0
        while True:
            try:
                self._count(await self._write(records))
                return
            except DbError as exc:
                refusals += 1
                log.warning("stream.batch_refused", records=len(records), error=str(exc))
                if refusals < REFUSALS_BEFORE_SPLIT:
                    await asyncio.sleep(backoff(refusals))
                    continue
            if len(records) == 1:
                metrics.REJECTED.inc()
                await self._reject(records[0], "db_rejected")
                return
            for half in halves(records):
                await self._store_all(half)
            return

    async def _write(self, records: list[IngestRecord]) -> SinkResult:
        """One transaction; retried here for as long as the database is unreachable."""
        attempt = 0
        while True:
            try:
                conn = await self._connect()
                return await write_records(conn, records)
            except DbUnavailable as exc:
                await self.close()
                metrics.DB_RETRIES.inc()
                delay = backoff(attempt)
                log.warning("stream.db_unavailable", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                attempt += 1
            except DbError:
                await self.close()  # start the next try on a fresh connection
                raise

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = await psycopg.AsyncConnection.connect(self._dsn, connect_timeout=5)
            except psycopg.Error as exc:
                raise DbUnavailable(str(exc)) from exc
        return self._conn

    def _count(self, result: SinkResult) -> None:
        for table, n in result.inserted.items():
            metrics.INSERTED.labels(table).inc(n)
        for table, n in result.duplicates.items():
            if n:
                metrics.DUPLICATES.labels(table).inc(n)

    async def _update_state(self, records: Sequence[IngestRecord]) -> None:
        """Best effort: Redis is a cache of what the database now holds."""
        if self._state is None:
            return
        update = plan_update(records)
        for attempt in range(3):
            try:
                await self._state.apply(update)
                return
            except StateError as exc:
                log.warning("stream.state_failed", error=str(exc))
                await asyncio.sleep(backoff(attempt, base=0.1))
        metrics.STATE_ERRORS.inc()
