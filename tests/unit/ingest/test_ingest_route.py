"""Routing an MQTT uplink to its Kafka record (pure)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from broker.connector.route import all_topics, route
from schemas.codec import encode
from schemas.kafka import DEAD_LETTER_TOPIC, decode_dead_letter, decode_record
from schemas.messages import HealthReport
from schemas.topics import TopicKind, device_topic

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _health() -> HealthReport:
    return HealthReport.new(
        cpu_percent=10,
        memory_percent=20,
        disk_percent=30,
        uptime_s=5,
        fps=25,
        inference_ms_p50=9,
        inference_ms_p95=15,
        queue_depth=1,
    )


def test_valid_uplink_goes_to_its_kind_topic_keyed_by_device() -> None:
    msg = _health()
    topic = device_topic("acme", "store-1", "dev-7", TopicKind.HEALTH)
    routed = route(topic, encode(msg), NOW, prefix="p.", max_raw=1024)
    assert not routed.dead
    assert routed.topic == "p.adwatch.health"
    assert routed.key == b"dev-7"
    record = decode_record(routed.value)
    assert record.payload == msg
    assert (record.tenant, record.location, record.device) == ("acme", "store-1", "dev-7")
    assert record.received_at == NOW


def test_bad_json_becomes_a_dead_letter_with_reason_and_raw_bytes() -> None:
    topic = device_topic("acme", "store-1", "dev-7", TopicKind.HEALTH)
    routed = route(topic, b"{nope", NOW, prefix="p.", max_raw=1024)
    assert routed.dead and routed.reason == "invalid_json"
    assert routed.topic == "p." + DEAD_LETTER_TOPIC
    letter = decode_dead_letter(routed.value)
    assert letter.topic == topic and letter.raw == b"{nope" and letter.received_at == NOW


def test_payload_of_the_wrong_kind_is_refused() -> None:
    topic = device_topic("acme", "store-1", "dev-7", TopicKind.TELEMETRY)
    routed = route(topic, encode(_health()), NOW, max_raw=1024)
    assert routed.reason == "wrong_type"


def test_malformed_topic_is_a_dead_letter() -> None:
    routed = route("adwatch/v1/Not_Valid/x/y/health", encode(_health()), NOW, max_raw=1024)
    assert routed.reason == "bad_topic"


def test_huge_payload_is_cut_in_the_dead_letter_and_says_so() -> None:
    topic = device_topic("acme", "store-1", "dev-7", TopicKind.HEALTH)
    payload = b"x" * 70_000  # over the contract's 64 KiB
    routed = route(topic, payload, NOW, max_raw=100)
    letter = decode_dead_letter(routed.value)
    assert letter.reason == "too_large"
    assert letter.raw_b64 == base64.b64encode(payload[:100]).decode()
    assert "cut to 100 of 70000 bytes" in letter.detail


def test_all_topics_carry_the_prefix() -> None:
    topics = all_topics("x.")
    assert "x." + DEAD_LETTER_TOPIC in topics
    assert all(t.startswith("x.adwatch.") for t in topics)
