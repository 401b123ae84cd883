"""Key names and the pure decisions behind every Redis write (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas.kafka import IngestRecord
from schemas.messages import DeviceStatus, HealthReport

DEFAULT_PREFIX = "adwatch:v1"


@dataclass(frozen=True, slots=True)
class StateSettings:
    """Where the hot state lives and how long it stays hot."""

    prefix: str = DEFAULT_PREFIX
    online_ttl_s: float = 90.0
    health_ttl_s: float = 300.0


def health_key(prefix: str, tenant: str, device: str) -> str:
    return f"{prefix}:health:{tenant}:{device}"


def online_key(prefix: str, tenant: str | None = None) -> str:
    """The per-tenant online set, or the fleet-wide one when ``tenant`` is None."""
    return f"{prefix}:online" if tenant is None else f"{prefix}:online:{tenant}"


def tenant_member(location: str, device: str) -> str:
    return f"{location}/{device}"


def fleet_member(tenant: str, location: str, device: str) -> str:
    return f"{tenant}/{location}/{device}"


@dataclass(frozen=True, slots=True)
class DeviceRef:
    tenant: str
    location: str
    device: str


@dataclass(slots=True)
class StateUpdate:
    """What one batch of ingest records changes in Redis.

    ``seen`` maps each device to its last-seen time (Unix seconds) if the batch leaves it
    online; ``offline`` holds devices whose last record in the batch was an offline status;
    ``health`` holds each device's newest health record of the batch.
    """

    seen: dict[DeviceRef, float] = field(default_factory=dict)
    offline: set[DeviceRef] = field(default_factory=set)
    health: dict[DeviceRef, IngestRecord] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.seen or self.offline or self.health)


def plan_update(records: Iterable[IngestRecord]) -> StateUpdate:
    """Fold a batch (in Kafka order, so per device in arrival order) into one update.

    Arrival order, not the device timestamp, decides: a Last Will is composed when the
    device connects, so its ``ts`` is older than everything the device sent afterwards.
    """
    update = StateUpdate()
    for record in records:
        ref = DeviceRef(record.tenant, record.location, record.device)
        payload = record.payload
        if isinstance(payload, DeviceStatus) and payload.state == "offline":
            update.seen.pop(ref, None)
            update.offline.add(ref)
            continue
        update.offline.discard(ref)
        seen = record.received_at.timestamp()
        update.seen[ref] = max(seen, update.seen.get(ref, seen))
        if isinstance(payload, HealthReport):
            update.health[ref] = record
    return update


def online_cutoff(now: float, settings: StateSettings) -> float:
    """Scores strictly below this are stale: the device is no longer online."""
    return now - settings.online_ttl_s
