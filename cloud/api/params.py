"""Shared request-parameter rules: ids, time windows and opaque keyset cursors.

Pure functions; every rejection is a :class:`BadRequest` (HTTP 400) that says
what was wrong, so odd input never reaches the database.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta

import msgspec

from cloud.api.errors import BadRequest

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
LABEL_PATTERN = r"^[^\x00-\x1f\x7f]{1,128}$"  # free-form labels (hardware): no control chars
_ID = re.compile(ID_PATTERN)
MAX_WINDOW = timedelta(days=366)


class Window(msgspec.Struct, frozen=True):
    start: datetime
    end: datetime


def utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def window(
    start: datetime | None, end: datetime | None, now: datetime, default: timedelta
) -> Window:
    """``[start, end)`` with defaults ending now; at most :data:`MAX_WINDOW` long."""
    end_utc = utc(end) if end is not None else now
    try:
        start_utc = utc(start) if start is not None else end_utc - default
    except OverflowError as exc:
        raise BadRequest("`to` is out of range") from exc
    if end_utc <= start_utc:
        raise BadRequest("`to` must be after `from`")
    if end_utc - start_utc > MAX_WINDOW:
        raise BadRequest(f"the time window may span at most {MAX_WINDOW.days} days")
    return Window(start_utc, end_utc)


class _Cursor(msgspec.Struct, frozen=True, array_like=True):
    version: int
    after: str


def encode_cursor(after: str) -> str:
    raw = msgspec.json.encode(_Cursor(1, after))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The id to continue after; any tampering or garbage is a 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parsed = msgspec.json.decode(raw, type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise BadRequest("invalid cursor") from exc
    if parsed.version != 1 or not _ID.fullmatch(parsed.after):
        raise BadRequest("invalid cursor")
    return parsed.after
