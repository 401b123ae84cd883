"""Create the ingest topics before the consumer subscribes (a missing topic would only be
noticed at the next metadata refresh, minutes later)."""

from __future__ import annotations

import asyncio

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from cloud.stream.batch import backoff
from cloud.stream.config import StreamSettings
from schemas.kafka import ALL_TOPICS

log = structlog.get_logger("adwatch.stream.topics")


async def ensure_topics(settings: StreamSettings, attempts: int = 30) -> None:
    wanted = [settings.topic_prefix + name for name in ALL_TOPICS]
    for attempt in range(attempts):
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in wanted if t not in existing]
            if missing:
                await admin.create_topics(
                    [NewTopic(t, settings.partitions, 1) for t in missing], timeout_ms=10000
                )
                log.info("stream.topics_created", topics=missing)
            return
        except (KafkaError, OSError) as exc:
            log.warning("stream.kafka_unavailable", error=str(exc))
            await asyncio.sleep(backoff(attempt))
        finally:
            await admin.close()
