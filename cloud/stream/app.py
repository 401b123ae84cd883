"""The Faust app: one thin agent per ingest topic around the batch writer."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import faust
import redis.asyncio as aioredis
import structlog

from cloud.state.store import HotState
from cloud.stream import metrics
from cloud.stream.batch import INGEST_KINDS, decode_batch
from cloud.stream.config import StreamSettings
from cloud.stream.lag import start_pipeline_metrics
from cloud.stream.writer import BatchWriter
from schemas.errors import SchemaError
from schemas.kafka import (
    DEAD_LETTER_TOPIC,
    IngestRecord,
    dead_letter,
    decode_dead_letter,
    encode_record,
    kafka_topic,
)
from schemas.topics import TopicKind

log = structlog.get_logger("adwatch.stream")

Agent = Callable[[faust.StreamT[bytes]], Coroutine[Any, Any, None]]


def build_app(settings: StreamSettings) -> faust.App:
    """A Faust app reading raw bytes; its state lives under ``settings.data_dir``."""
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        datadir=str(Path(settings.data_dir) / settings.app_id),
        store="memory://",
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 3),
        stream_buffer_maxsize=max(4096, settings.batch_size * 2),
        producer_acks=-1,
    )
    dead_topic = app.topic(settings.topic_prefix + DEAD_LETTER_TOPIC)
    state = HotState(aioredis.from_url(settings.redis_url), settings.state)

    async def reject(record: IngestRecord, reason: str) -> None:
        """Park a record the database refuses on the dead-letter topic (and wait for Kafka)."""
        error = SchemaError(reason, "the database refused this record")
        value = dead_letter(record.address.topic, encode_record(record), error, record.received_at)
        delivered = await dead_topic.send(value=value, force=True)
        await delivered

    for kind in INGEST_KINDS:
        writer = BatchWriter(settings.pg_dsn, state, reject)
        topic = app.topic(settings.topic_prefix + kafka_topic(kind))
        app.agent(topic, name=f"ingest-{kind.value.replace('/', '-')}")(
            _ingest_agent(kind, writer, settings)
        )
    app.agent(dead_topic, name="dead-letters")(_dead_letter_agent())
    start_pipeline_metrics(app, settings)
    return app


def _ingest_agent(kind: TopicKind, writer: BatchWriter, settings: StreamSettings) -> Agent:
    async def ingest(stream: faust.StreamT[bytes]) -> None:
        # noack_take: events are acknowledged (so their offsets become committable) only by
        # us, after the batch is in the database; a crash before that means redelivery.
        batches = cast(faust.Stream[bytes], stream).noack_take(
            settings.batch_size, settings.batch_within_s
        )
        async for batch in batches:
            events = cast(Sequence[faust.EventT[bytes]], batch)  # noack_take yields events
            decoded = decode_batch([event.value for event in events])
            for raw, error in decoded.invalid:
                metrics.INVALID.labels(error.reason).inc()
                log.error(
                    "stream.invalid_record", kind=kind.value, reason=error.reason, size=len(raw)
                )
            await writer.store(kind, decoded.records)
            for event in events:
                await stream.ack(event)

    return ingest


def _dead_letter_agent() -> Agent:
    """Count dead letters by reason (the connector wrote them; nothing is stored here)."""

    async def dead_letters(stream: faust.StreamT[bytes]) -> None:
        async for value in stream:
            try:
                reason = decode_dead_letter(value).reason
            except SchemaError:
                reason = "unreadable"
            metrics.DEAD_LETTERS.labels(reason).inc()

    return dead_letters


def now_utc() -> datetime:
    return datetime.now(UTC)
