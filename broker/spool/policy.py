"""Which messages the byte bound may coalesce: decided by the topic kind alone (pure)."""

from __future__ import annotations

from broker.spool.queue import MessageClass
from schemas.errors import SchemaError
from schemas.topics import TopicKind, parse_device_topic


def classify_topic(topic: str) -> MessageClass:
    """Health reports may coalesce to the latest per device; everything else is kept.

    A topic outside the device tree (or malformed) is kept too: never drop what we
    do not understand.
    """
    try:
        address = parse_device_topic(topic)
    except SchemaError:
        return MessageClass.KEEP
    return MessageClass.LATEST if address.kind is TopicKind.HEALTH else MessageClass.KEEP
