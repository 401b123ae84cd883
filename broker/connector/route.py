"""Pure routing: an MQTT uplink in, the Kafka record that carries it out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.errors import SchemaError
from schemas.kafka import (
    DEAD_LETTER_TOPIC,
    dead_letter,
    encode_record,
    kafka_topic,
    make_ingest_record,
    partition_key,
)
from schemas.topics import TopicKind


@dataclass(frozen=True, slots=True)
class Routed:
    """One Kafka record to produce. ``reason`` is set for dead letters only."""

    topic: str
    key: bytes | None
    value: bytes
    kind: TopicKind | None = None
    reason: str | None = None

    @property
    def dead(self) -> bool:
        return self.reason is not None


def route(
    topic: str, payload: bytes, received_at: datetime, *, prefix: str = "", max_raw: int
) -> Routed:
    """Validate one uplink; a valid one goes to its kind's topic, anything else is a dead letter.

    Never raises for bad input: every ``SchemaError`` becomes a dead letter. A payload
    longer than ``max_raw`` bytes is cut in the dead letter (which says so), so a huge
    publish cannot exceed Kafka's record limit and wedge the connector.
    """
    try:
        record = make_ingest_record(topic, payload, received_at)
        value = encode_record(record)
    except SchemaError as error:
        return dead_route(topic, payload, error, received_at, prefix=prefix, max_raw=max_raw)
    return Routed(
        topic=prefix + kafka_topic(record.kind),
        key=partition_key(record.address),
        value=value,
        kind=record.kind,
    )


def dead_route(
    topic: str,
    payload: bytes,
    error: SchemaError,
    received_at: datetime,
    *,
    prefix: str,
    max_raw: int,
) -> Routed:
    if len(payload) > max_raw:
        error = SchemaError(
            error.reason, f"{error.detail} (raw cut to {max_raw} of {len(payload)} bytes)"
        )
        payload = payload[:max_raw]
    value = dead_letter(topic, payload, error, received_at)
    return Routed(topic=prefix + DEAD_LETTER_TOPIC, key=None, value=value, reason=error.reason)


def all_topics(prefix: str) -> list[str]:
    """Every Kafka topic the connector may write to."""
    from schemas.kafka import ALL_TOPICS

    return [prefix + name for name in ALL_TOPICS]
