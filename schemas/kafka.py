"""Kafka side of the contract: topic names, the partition key and the record shapes."""

from __future__ import annotations

import base64
from datetime import datetime

import msgspec

from schemas.codec import decode, encode
from schemas.errors import SchemaError
from schemas.messages import (
    AdBreakEnded,
    AdBreakStarted,
    CommandResult,
    DeviceStatus,
    HealthReport,
    Message,
    OtaState,
    TelemetryPeriod,
)
from schemas.topics import DeviceTopic, TopicKind

TOPIC_BY_KIND: dict[TopicKind, str] = {
    TopicKind.STATUS: "adwatch.status",
    TopicKind.HEALTH: "adwatch.health",
    TopicKind.TELEMETRY: "adwatch.telemetry",
    TopicKind.AD_EVENTS: "adwatch.ad-events",
    TopicKind.OTA_STATE: "adwatch.ota-state",
    TopicKind.CMD_RESULT: "adwatch.cmd-results",
}
DEAD_LETTER_TOPIC = "adwatch.dead-letter"
ALL_TOPICS = (*TOPIC_BY_KIND.values(), DEAD_LETTER_TOPIC)

# Which payload types may arrive on which uplink topic kind.
MESSAGES_BY_KIND: dict[TopicKind, tuple[type, ...]] = {
    TopicKind.STATUS: (DeviceStatus,),
    TopicKind.HEALTH: (HealthReport,),
    TopicKind.TELEMETRY: (TelemetryPeriod,),
    TopicKind.AD_EVENTS: (AdBreakStarted, AdBreakEnded),
    TopicKind.OTA_STATE: (OtaState,),
    TopicKind.CMD_RESULT: (CommandResult,),
}


def kafka_topic(kind: TopicKind) -> str:
    try:
        return TOPIC_BY_KIND[kind]
    except KeyError:
        raise SchemaError("bad_topic", f"{kind} is not an uplink kind") from None


def partition_key(address: DeviceTopic) -> bytes:
    """Records of one device stay in one partition, so they stay in order."""
    return address.device.encode()


class IngestRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The value of every record on the ingest topics: where it came from, and what."""

    tenant: str
    location: str
    device: str
    kind: TopicKind
    received_at: datetime
    payload: Message

    @property
    def address(self) -> DeviceTopic:
        return DeviceTopic(self.tenant, self.location, self.device, self.kind)


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    topic: str
    reason: str
    detail: str
    raw_b64: str
    received_at: datetime

    @property
    def raw(self) -> bytes:
        return base64.b64decode(self.raw_b64)


def make_ingest_record(topic: str, payload: bytes, received_at: datetime) -> IngestRecord:
    """Validate an MQTT uplink (topic and payload together) into an ingest record.

    Raises SchemaError when the topic is malformed, is not an uplink, or carries a
    payload of the wrong type for its kind.
    """
    from schemas.topics import parse_device_topic

    address = parse_device_topic(topic)
    allowed = MESSAGES_BY_KIND.get(address.kind)
    if allowed is None:
        raise SchemaError("bad_topic", f"{address.kind.value} is not an uplink kind")
    message = decode(payload)
    if not isinstance(message, allowed):
        raise SchemaError(
            "wrong_type", f"{type(message).__name__} is not allowed on {address.kind.value}"
        )
    return IngestRecord(
        tenant=address.tenant,
        location=address.location,
        device=address.device,
        kind=address.kind,
        received_at=received_at,
        payload=message,
    )


def dead_letter(topic: str, payload: bytes, error: SchemaError, received_at: datetime) -> bytes:
    record = DeadLetter(
        topic=topic[:1024],
        reason=error.reason,
        detail=error.detail[:2048],
        raw_b64=base64.b64encode(payload).decode(),
        received_at=received_at,
    )
    return msgspec.json.encode(record)  # may exceed the MQTT limit: Kafka carries it


def encode_record(record: IngestRecord) -> bytes:
    return encode(record)


_record_decoder = msgspec.json.Decoder(IngestRecord)
_dead_letter_decoder = msgspec.json.Decoder(DeadLetter)


def decode_record(data: bytes) -> IngestRecord:
    try:
        return _record_decoder.decode(data)
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise SchemaError("invalid_record", str(exc)) from exc


def decode_dead_letter(data: bytes) -> DeadLetter:
    try:
        return _dead_letter_decoder.decode(data)
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise SchemaError("invalid_record", str(exc)) from exc
