"""The Kafka side of the connector: topic creation and a produce-until-acknowledged helper."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from broker.connector.config import KafkaSettings
from broker.connector.metrics import SEND_RETRIES
from broker.connector.route import Routed, all_topics

log = structlog.get_logger("adwatch.connector.kafka")

Send = Callable[[], Awaitable["asyncio.Future[object]"]]


def backoff(attempt: int, base: float = 0.1, cap: float = 5.0) -> float:
    """Exponential back-off delay (seconds) before retry number ``attempt`` (0-based)."""
    return float(min(cap, base * 2 ** min(attempt, 16)))


async def ensure_topics(settings: KafkaSettings) -> None:
    """Create the connector's topics if missing (another instance may race us: fine)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in all_topics(settings.topic_prefix) if t not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(t, settings.partitions, 1) for t in missing], timeout_ms=10000
            )
            log.info("kafka.topics_created", topics=missing)
    finally:
        await admin.close()


def make_producer(settings: KafkaSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=settings.linger_ms,
        request_timeout_ms=settings.request_timeout_ms,
        max_batch_size=256 * 1024,
    )


async def start_with_retry(start: Callable[[], Awaitable[None]], what: str) -> None:
    attempt = 0
    while True:
        try:
            await start()
            return
        except (KafkaError, OSError) as exc:
            delay = backoff(attempt)
            log.warning("kafka.start_failed", what=what, error=str(exc), retry_in=delay)
            await asyncio.sleep(delay)
            attempt += 1


async def enqueue(producer: AIOKafkaProducer, routed: Routed) -> asyncio.Future[object]:
    """Hand a record to the producer, retrying (with back-off) until it takes it."""
    attempt = 0
    while True:
        try:
            future: asyncio.Future[object] = await producer.send(
                routed.topic, routed.value, key=routed.key
            )
            return future
        except KafkaError as exc:
            SEND_RETRIES.inc()
            delay = backoff(attempt)
            log.warning("kafka.send_failed", topic=routed.topic, error=str(exc), retry_in=delay)
            await asyncio.sleep(delay)
            attempt += 1


async def delivered(
    producer: AIOKafkaProducer, routed: Routed, future: asyncio.Future[object]
) -> None:
    """Wait until Kafka acknowledged ``routed``; produce it again if the first try failed.

    A retry after a timeout may store the record twice in Kafka; the database write is
    idempotent on the message id, so that is harmless, while giving up would lose it.
    """
    attempt = 0
    while True:
        try:
            await future
            return
        except KafkaError as exc:
            SEND_RETRIES.inc()
            delay = backoff(attempt)
            log.warning("kafka.delivery_failed", topic=routed.topic, error=str(exc), retry_in=delay)
            await asyncio.sleep(delay)
            attempt += 1
            future = await enqueue(producer, routed)
