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


def offline_key(prefix: str) -> str:
    return f"{prefix}:offline"


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

    ``seen`` maps each device to the latest cloud receive time (Unix seconds) of its
    uplinks other than an offline status; ``offline`` to that of its latest offline status;
    ``health`` holds each device's newest health record of the batch.
    """

    seen: dict[DeviceRef, float] = field(default_factory=dict)
    offline: dict[DeviceRef, float] = field(default_factory=dict)
    health: dict[DeviceRef, IngestRecord] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.seen or self.offline or self.health)

    def devices(self) -> list[DeviceRef]:
        return sorted(set(self.seen) | set(self.offline), key=lambda r: (r.tenant, r.device))


def plan_update(records: Iterable[IngestRecord]) -> StateUpdate:
    """Fold a batch into one update.

    The cloud receive time orders everything, not the device timestamp: a Last Will is
    composed when the device connects, so its ``ts`` is older than all the device sent
    afterwards, yet it is received last. Batches of different topics are processed in
    any order, so the decision (online iff seen after the latest offline status) is taken
    in Redis against the stored times (see ``cloud.state.store``), not here.
    """
    update = StateUpdate()
    for record in records:
        ref = DeviceRef(record.tenant, record.location, record.device)
        payload = record.payload
        at = record.received_at.timestamp()
        if isinstance(payload, DeviceStatus) and payload.state == "offline":
            update.offline[ref] = max(at, update.offline.get(ref, at))
            continue
        update.seen[ref] = max(at, update.seen.get(ref, at))
        if isinstance(payload, HealthReport):
            newest = update.health.get(ref)
            if newest is None or newest.received_at <= record.received_at:
                update.health[ref] = record
    return update


def is_online(seen: float | None, offline_at: float | None) -> bool:
    """The rule the Redis script applies: seen, and after the latest offline status."""
    return seen is not None and (offline_at is None or seen > offline_at)


def online_cutoff(now: float, settings: StateSettings) -> float:
    """Scores strictly below this are stale: the device is no longer online."""
    return now - settings.online_ttl_s
