"""The Kafka side of the connector: topic creation and produce-until-acknowledged.

aiokafka's idempotent producer retries a batch forever while the broker answers, but a
batch that expires (no partition leader for ``request_timeout_ms``, as while Kafka
restarts) leaves a gap in the producer's sequence numbers, and every later batch to that
partition is refused. Like the Java client, we then start a new producer (a new producer
id, fresh sequences) and produce again what was not acknowledged. The second copy may
duplicate a record in Kafka; the database stores a message id once, so that is harmless,
while giving up would lose it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from broker.connector.config import KafkaSettings
from broker.connector.metrics import PRODUCER_RESETS, SEND_RETRIES
from broker.connector.route import Routed, all_topics

log = structlog.get_logger("adwatch.connector.kafka")


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


@dataclass(frozen=True, slots=True)
class Delivery:
    """A record handed to producer number ``epoch``; ``future`` resolves on Kafka's ack."""

    routed: Routed
    future: asyncio.Future[object]
    epoch: int


class _Stale(Exception):
    """The record went to a producer that has since been replaced, and is not acknowledged."""


class KafkaOut:
    """The current producer, replaced when it can no longer deliver."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._epoch = 0
        self._lock = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()
        # Longer than aiokafka's own batch expiry, so its errors normally come first.
        self._delivery_timeout = settings.request_timeout_ms / 1000 + 10

    def _make(self) -> AIOKafkaProducer:
        s = self._settings
        return AIOKafkaProducer(
            bootstrap_servers=s.bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=s.linger_ms,
            request_timeout_ms=s.request_timeout_ms,
            max_batch_size=256 * 1024,
        )

    async def start(self) -> None:
        producer = self._make()
        await start_with_retry(producer.start, "producer")
        self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._close(self._producer)
        for task in list(self._closing):
            task.cancel()

    async def send(self, routed: Routed) -> Delivery:
        """Hand a record to the producer, retrying (with back-off) until it takes it."""
        attempt = 0
        while True:
            producer, epoch = self._producer, self._epoch
            assert producer is not None, "KafkaOut.start() first"
            try:
                # aiokafka bounds this wait itself (metadata, full batches: request timeout).
                future: asyncio.Future[object] = await producer.send(
                    routed.topic, routed.value, key=routed.key
                )
                return Delivery(routed, future, epoch)
            except (KafkaError, TimeoutError) as exc:
                SEND_RETRIES.inc()
                delay = backoff(attempt)
                log.warning(
                    "kafka.send_failed", topic=routed.topic, error=repr(exc), retry_in=delay
                )
                if attempt >= 3:
                    await self._reset(epoch)
                await asyncio.sleep(delay)
                attempt += 1

    async def delivered(self, delivery: Delivery) -> None:
        """Return once Kafka acknowledged the record, producing it again as often as needed."""
        while True:
            try:
                await self._wait(delivery)
                return
            except (KafkaError, TimeoutError, _Stale) as exc:
                SEND_RETRIES.inc()
                log.warning(
                    "kafka.delivery_failed",
                    topic=delivery.routed.topic,
                    error=repr(exc),
                    epoch=delivery.epoch,
                )
                await self._reset(delivery.epoch)
                delivery = await self.send(delivery.routed)

    async def _wait(self, delivery: Delivery) -> None:
        future = delivery.future
        if future.done():
            future.result()  # raises the delivery error, if any
        elif delivery.epoch != self._epoch:
            raise _Stale()
        else:
            await asyncio.wait_for(asyncio.shield(future), self._delivery_timeout)

    async def _reset(self, failed_epoch: int) -> None:
        """Replace producer ``failed_epoch`` (once, however many records saw it fail)."""
        async with self._lock:
            if failed_epoch != self._epoch or self._producer is None:
                return
            old = self._producer
            PRODUCER_RESETS.inc()
            log.warning("kafka.producer_reset", epoch=self._epoch)
            task = asyncio.create_task(self._close(old))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
            producer = self._make()
            await start_with_retry(producer.start, "producer")
            self._producer = producer
            self._epoch += 1

    @staticmethod
    async def _close(producer: AIOKafkaProducer) -> None:
        # stop() waits for pending batches, which may never drain: bound it.
        with contextlib.suppress(KafkaError, TimeoutError, OSError):
            await asyncio.wait_for(producer.stop(), 10)
