"""End to end through real services: simulator -> Mosquitto -> 2 connectors -> Kafka -> Faust
-> PostgreSQL + Redis. Every message sent is stored exactly once; bad input is dead-lettered.
"""

from __future__ import annotations

import asyncio
import json

import msgspec
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud.state.keys import StateSettings
from cloud.state.store import HotState
from schemas.codec import encode
from schemas.kafka import DEAD_LETTER_TOPIC, decode_dead_letter
from schemas.topics import device_topic
from tests.integration.ingest.pipeline import Pipeline, wait_stored
from tests.support.messages import health_report

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def running(pipeline: Pipeline) -> Pipeline:
    """Two connectors and one worker, shared by the tests of this module."""
    connectors = [pipeline.connector(1).start(), pipeline.connector(2).start()]
    pipeline.worker().start()
    for proc in connectors:
        proc.wait_log("connector.started", timeout=60)
    return pipeline


async def _online(pipe: Pipeline) -> set[str]:
    import redis.asyncio as aioredis

    client = aioredis.from_url(pipe.redis_url)
    try:
        devices = await HotState(client, StateSettings(prefix=pipe.run)).online()
    finally:
        await client.aclose()
    # The stack's broker carries other tests' traffic too: keep this run's devices.
    return {
        f"{d.tenant}/{d.location}/{d.device}"
        for d in devices
        if d.device.startswith(pipe.device_prefix)
    }


def _device_status(pipe: Pipeline) -> dict[str, str]:
    import psycopg

    with psycopg.connect(pipe.dsn) as conn:
        rows = conn.execute(
            "SELECT tenant_id || '/' || location_id || '/' || id, status FROM devices "
            "WHERE id LIKE %s",
            (f"{pipe.device_prefix}%",),
        ).fetchall()
    return dict(rows)


def test_every_message_stored_exactly_once(running: Pipeline) -> None:
    sim = running.simulator(
        devices=120, rate=400, duration=8, seed=11, offline_fraction=0.25, tenants=3, locations=2
    )
    sim.wait(timeout=60)
    sent = sim.ids()
    assert len(sent) >= 3000
    stored = wait_stored(running.dsn, running.device_prefix, sent, timeout=60)
    missing, extra = sent - set(stored), set(stored) - sent
    assert not missing and not extra, f"missing {len(missing)}, extra {len(extra)}"
    assert max(stored.values()) == 1
    online = asyncio.run(_online(running))
    assert online == sim.online()
    status = _device_status(running)
    assert {d for d, s in status.items() if s == "online"} == sim.online()
    assert len(status) == 120


def _bad_payloads(prefix: str) -> list[tuple[str, bytes, str]]:
    """1,000 malformed uplinks of five sorts: (topic, payload, expected reason)."""
    good = device_topic(f"{prefix}-bad", "lab", f"{prefix}-dev", "health")
    health = msgspec.to_builtins(health_report())
    out: list[tuple[str, bytes, str]] = []
    for i in range(200):
        out.append(
            (good, b'{"type": "health", "schema_version": 1, ' + str(i).encode(), "invalid_json")
        )
        wrong = dict(health, cpu_percent=f"high-{i}")
        out.append((good, json.dumps(wrong).encode(), "wrong_type"))
        big = dict(health, padding="x" * (70_000 + i))
        out.append((good, json.dumps(big).encode(), "too_large"))
        out.append(
            (
                f"adwatch/v1/{prefix}-Bad_Tenant/lab/dev-{i}/health",
                encode(health_report(uptime_s=i)),
                "bad_topic",
            )
        )
        telemetry_topic = device_topic(f"{prefix}-bad", "lab", f"{prefix}-dev", "telemetry")
        out.append((telemetry_topic, json.dumps(dict(health, uptime_s=i)).encode(), "wrong_type"))
    return out


def _publish(host: str, port: int, messages: list[tuple[str, bytes, str]]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(200)
    client.connect(host, port)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=1) for topic, payload, _ in messages]
        for info in infos:
            info.wait_for_publish(30)
    finally:
        client.disconnect()
        client.loop_stop()


async def _dead_letters(pipe: Pipeline, want: int, within_s: float) -> list[tuple[str, bytes]]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        pipe.topic_prefix + DEAD_LETTER_TOPIC,
        bootstrap_servers=pipe.bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
    )
    await consumer.start()
    out: list[tuple[str, bytes]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while len(out) < want and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    letter = decode_dead_letter(record.value)
                    assert letter.topic and letter.detail and letter.received_at
                    if pipe.run in letter.topic:  # not other tests' bad traffic
                        out.append((letter.reason, letter.raw))
    finally:
        await consumer.stop()
    return out


def test_malformed_payloads_dead_lettered_valid_traffic_unaffected(running: Pipeline) -> None:
    bad = _bad_payloads(running.run)
    assert len(bad) == 1000
    sim = running.simulator(devices=40, rate=200, duration=6, seed=12)
    host, port = running.mqtt
    _publish(host, port, bad)
    sim.wait(timeout=60)
    letters = asyncio.run(_dead_letters(running, want=1000, within_s=60))
    assert len(letters) == 1000
    assert sorted(letters) == sorted((reason, payload) for _, payload, reason in bad)
    sent = sim.ids()
    stored = wait_stored(running.dsn, running.device_prefix, sent, timeout=60)
    assert sent <= set(stored)
    assert max(stored.values()) == 1
    for proc in running.procs:
        if proc.name.startswith(("connector", "worker")):
            assert proc.alive, f"{proc.name} died:\n{proc.log()[-2000:]}"
