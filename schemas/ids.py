"""Message ids (UUIDv7: time-ordered, unique) and the one clock for timestamps."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_message_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562) whose ids from one process are strictly increasing.

    48 bits of Unix milliseconds, then a 12-bit counter seeded randomly each new
    millisecond (monotonic within a millisecond), then 62 random bits.
    """
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms = ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF  # leave headroom
        else:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand
    return uuid.UUID(int=value)


def uuid7_time(message_id: uuid.UUID) -> datetime:
    """The creation time encoded in a UUIDv7."""
    return datetime.fromtimestamp((message_id.int >> 80) / 1000, tz=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)
