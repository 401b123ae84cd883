"""Kafka names, ids, and the checked-in JSON Schema files."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from schemas import codec, export, kafka
from schemas import messages as m
from schemas.errors import SchemaError
from schemas.ids import new_message_id, uuid7_time
from schemas.topics import DeviceTopic, TopicKind, device_topic


def test_json_schema_files_match_the_types() -> None:
    assert export.stale_files() == [], "run: python -m schemas.export"


def test_json_schema_describes_the_header() -> None:
    doc = json.loads((export.JSON_DIR / "health.json").read_text())
    health = doc["$defs"]["HealthReport"]
    assert {"schema_version", "message_id", "ts", "type"} <= set(health["properties"])


def test_uuid7_is_version_7_sorted_and_timed() -> None:
    ids = [new_message_id() for _ in range(5000)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert abs((uuid7_time(ids[0]) - datetime.now(UTC)).total_seconds()) < 5


def test_every_uplink_kind_has_a_kafka_topic() -> None:
    for kind in TopicKind:
        if kind.uplink:
            assert kafka.kafka_topic(kind).startswith("adwatch.")
        else:
            with pytest.raises(SchemaError):
                kafka.kafka_topic(kind)


def test_partition_key_is_the_device_id() -> None:
    assert kafka.partition_key(DeviceTopic("acme", "bar", "tv-1", TopicKind.HEALTH)) == b"tv-1"


def _health() -> m.HealthReport:
    return m.HealthReport.new(
        cpu_percent=1,
        memory_percent=2,
        disk_percent=3,
        uptime_s=4,
        fps=5,
        inference_ms_p50=6,
        inference_ms_p95=7,
        queue_depth=0,
    )


def test_ingest_record_round_trip() -> None:
    now = datetime.now(UTC)
    record = kafka.make_ingest_record(
        device_topic("acme", "bar", "tv", "health"), codec.encode(_health()), now
    )
    assert record.address == DeviceTopic("acme", "bar", "tv", TopicKind.HEALTH)
    assert kafka.decode_record(kafka.encode_record(record)) == record


def test_ingest_rejects_payload_of_the_wrong_kind() -> None:
    with pytest.raises(SchemaError) as info:
        kafka.make_ingest_record(
            device_topic("acme", "bar", "tv", "status"), codec.encode(_health()), datetime.now(UTC)
        )
    assert info.value.reason == "wrong_type"
    with pytest.raises(SchemaError):
        kafka.make_ingest_record(
            device_topic("acme", "bar", "tv", "config"), codec.encode(_health()), datetime.now(UTC)
        )


def test_dead_letter_keeps_the_raw_bytes_and_reason() -> None:
    raw = b"\x00garbage"
    try:
        codec.decode(raw)
    except SchemaError as exc:
        record = kafka.decode_dead_letter(
            kafka.dead_letter("adwatch/v1/a/b/c/health", raw, exc, datetime.now(UTC))
        )
    assert record.raw == raw
    assert record.reason == "invalid_json"
