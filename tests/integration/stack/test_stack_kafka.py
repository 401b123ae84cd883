"""Kafka in the stack: produce with acks=all and consume through a consumer group (aiokafka)."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_produce_acks_all_and_consume(kafka_bootstrap: str) -> None:
    topic = f"adwatch.test.smoke.{uuid.uuid4().hex}"
    sent = {f"device-{i}".encode(): f"value-{i}".encode() for i in range(20)}
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in sent.items():
            meta = await producer.send_and_wait(topic, value, key=key)
            assert meta.offset >= 0
        partitions = await producer.partitions_for(topic)
    finally:
        await producer.stop()
    assert len(partitions) == 6  # auto-created with the stack's default num.partitions

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"smoke-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: dict[bytes, bytes] = {}
    try:
        while len(received) < len(sent):
            batches = await consumer.getmany(timeout_ms=2000)
            for records in batches.values():
                received.update({r.key: r.value for r in records if r.key and r.value})
        await consumer.commit()
    finally:
        await consumer.stop()
    assert received == sent
