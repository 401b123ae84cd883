"""Pure traffic generation: which device says what next (no I/O, seedable)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemas.messages import (
    AdBreakEnded,
    AdBreakStarted,
    DeviceStatus,
    HealthReport,
    Message,
    TelemetryPeriod,
)
from schemas.topics import DeviceTopic, TopicKind

FIRMWARE = "1.4.2"
MODEL = "adnet-2026.11"
SOURCES = ("hdmi1", "ch-101", "ch-204", "ch-330")
# Relative share of each periodic kind (health every 30 s, telemetry every 60 s, a few breaks).
MIX: tuple[tuple[str, int], ...] = (("health", 6), ("telemetry", 3), ("ad", 2))


@dataclass(frozen=True, slots=True)
class FleetShape:
    devices: int
    tenants: int = 1
    locations: int = 1
    seed: int = 0
    prefix: str = "sim"
    """Prefix of every generated id, so parallel runs do not collide."""


@dataclass(slots=True)
class SimDevice:
    tenant: str
    location: str
    device: str
    uptime_s: float = 0.0
    open_break: AdBreakStarted | None = None
    sent: int = 0

    def topic(self, kind: TopicKind) -> str:
        return DeviceTopic(self.tenant, self.location, self.device, kind).topic


def build_fleet(shape: FleetShape) -> list[SimDevice]:
    """``devices`` devices spread round-robin over tenants, then locations within a tenant."""
    fleet = []
    for i in range(shape.devices):
        t = i % shape.tenants
        loc = (i // shape.tenants) % shape.locations
        fleet.append(
            SimDevice(
                tenant=f"{shape.prefix}-t{t}",
                location=f"{shape.prefix}-t{t}-l{loc}",
                device=f"{shape.prefix}-d{i}",
            )
        )
    return fleet


@dataclass(slots=True)
class Traffic:
    """Chooses each device's next message; one instance per run (holds the RNG)."""

    rng: random.Random
    kinds: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.kinds = [kind for kind, weight in MIX for _ in range(weight)]

    def online(self, dev: SimDevice, now: datetime) -> tuple[TopicKind, Message]:
        dev.sent += 1
        return TopicKind.STATUS, DeviceStatus.new(
            ts=now, state="online", since=now, firmware=FIRMWARE, hardware="rpi5"
        )

    def offline(self, dev: SimDevice, now: datetime) -> tuple[TopicKind, Message]:
        dev.sent += 1
        return TopicKind.STATUS, DeviceStatus.new(
            ts=now,
            state="offline",
            since=now,
            firmware=FIRMWARE,
            hardware="rpi5",
            reason="simulation ended",
        )

    def next(self, dev: SimDevice, now: datetime) -> tuple[TopicKind, Message]:
        dev.sent += 1
        kind = self.rng.choice(self.kinds)
        if kind == "ad":
            return TopicKind.AD_EVENTS, self._ad(dev, now)
        if kind == "telemetry":
            return TopicKind.TELEMETRY, self._telemetry(now)
        dev.uptime_s += 30.0
        return TopicKind.HEALTH, self._health(dev, now)

    def _health(self, dev: SimDevice, now: datetime) -> HealthReport:
        r = self.rng
        p50 = r.uniform(8.0, 25.0)
        return HealthReport.new(
            ts=now,
            cpu_percent=round(r.uniform(15, 85), 1),
            memory_percent=round(r.uniform(30, 70), 1),
            disk_percent=round(r.uniform(10, 60), 1),
            temperature_c=round(r.uniform(40, 72), 1),
            uptime_s=dev.uptime_s,
            fps=round(r.uniform(24.5, 25.0), 2),
            inference_ms_p50=round(p50, 2),
            inference_ms_p95=round(p50 * r.uniform(1.2, 2.0), 2),
            queue_depth=r.randint(0, 4),
        )

    def _telemetry(self, now: datetime) -> TelemetryPeriod:
        r = self.rng
        ad = round(r.uniform(0, 20), 1)
        captured = 1500
        dropped = r.randint(0, 10)
        return TelemetryPeriod.new(
            ts=now,
            period_start=now - timedelta(seconds=60),
            period_end=now,
            frames_captured=captured,
            frames_analysed=captured - dropped,
            frames_dropped=dropped,
            ad_seconds=ad,
            content_seconds=round(60 - ad, 1),
            breaks=1 if ad else 0,
            mean_confidence=round(r.uniform(0.8, 0.99), 3),
        )

    def _ad(self, dev: SimDevice, now: datetime) -> AdBreakStarted | AdBreakEnded:
        r = self.rng
        started = dev.open_break
        if started is None:
            dev.open_break = AdBreakStarted.new(
                ts=now,
                break_id=uuid.UUID(int=r.getrandbits(128), version=4),
                source=r.choice(SOURCES),
                started_at=now - timedelta(seconds=r.uniform(1, 4)),
                confidence=round(r.uniform(0.85, 0.99), 3),
                action="mute",
                controller="ir",
                model_version=MODEL,
            )
            return dev.open_break
        dev.open_break = None
        # A simulated run is compressed in time; the corrected start (decided with hindsight,
        # see AdBreakEnded) gives the stored break a plausible length of 30 s to 4 min.
        length = timedelta(seconds=r.uniform(30, 240))
        return AdBreakEnded.new(
            ts=now,
            break_id=started.break_id,
            source=started.source,
            started_at=min(started.started_at, now - length),
            ended_at=now,
            confidence=started.confidence,
            action=started.action,
            controller=started.controller,
            model_version=MODEL,
        )
