"""Pure batch handling: decode Kafka values, and split a batch the database refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from schemas.errors import SchemaError
from schemas.kafka import IngestRecord, decode_record
from schemas.topics import TopicKind

# The ingest topics the stream worker consumes (one agent each).
INGEST_KINDS: tuple[TopicKind, ...] = (
    TopicKind.STATUS,
    TopicKind.HEALTH,
    TopicKind.TELEMETRY,
    TopicKind.AD_EVENTS,
    TopicKind.OTA_STATE,
    TopicKind.CMD_RESULT,
)


@dataclass(slots=True)
class Decoded:
    records: list[IngestRecord] = field(default_factory=list)
    invalid: list[tuple[bytes, SchemaError]] = field(default_factory=list)


def decode_batch(values: Sequence[bytes | None]) -> Decoded:
    """Kafka values to ingest records; anything undecodable is set aside with its reason."""
    out = Decoded()
    for value in values:
        if value is None:
            out.invalid.append((b"", SchemaError("invalid_record", "empty Kafka value")))
            continue
        try:
            out.records.append(decode_record(value))
        except SchemaError as exc:
            out.invalid.append((value, exc))
    return out


def halves(records: Sequence[IngestRecord]) -> tuple[list[IngestRecord], list[IngestRecord]]:
    """Split a refused batch to find the record the database rejects (bisection)."""
    mid = len(records) // 2
    return list(records[:mid]), list(records[mid:])


def backoff(attempt: int, base: float = 0.2, cap: float = 10.0) -> float:
    """Exponential back-off delay in seconds before retry number ``attempt`` (0-based)."""
    return float(min(cap, base * 2 ** min(attempt, 16)))
