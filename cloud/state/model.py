"""What the hot state stores, as typed records."""

from __future__ import annotations

from datetime import datetime

import msgspec

from schemas.messages import HealthReport


class LatestHealth(msgspec.Struct, frozen=True, kw_only=True):
    """The value of ``P:health:{tenant}:{device}``."""

    tenant: str
    location: str
    device: str
    received_at: datetime
    report: HealthReport


class OnlineDevice(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    location: str
    device: str
    last_seen: datetime
