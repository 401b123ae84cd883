"""Deterministic demo traffic as ingest records (``adwatch-cloud db seed``, tests).

The same seed and end time give the same records, message ids included, so two
databases seeded alike can be compared row for row.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.kafka import IngestRecord
from schemas.messages import (
    AdBreakEnded,
    AdBreakStarted,
    DeviceStatus,
    HealthReport,
    TelemetryPeriod,
)
from schemas.topics import TopicKind

CHANNELS = ("bbc-one", "itv", "channel-4", "sky-sports")


@dataclass(frozen=True, slots=True)
class SeedPlan:
    tenants: int = 2
    locations: int = 2  # per tenant
    devices: int = 3  # per location
    hours: int = 6
    health_every_s: int = 300
    end: datetime | None = None  # default: now
    seed: int = 7


def _uuid7(rng: random.Random, when: datetime) -> uuid.UUID:
    ms = int(when.timestamp() * 1000) & ((1 << 48) - 1)
    value = ms << 80 | 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62 | rng.getrandbits(62)
    return uuid.UUID(int=value)


def _record(tenant: str, location: str, device: str, kind: TopicKind, msg: object) -> IngestRecord:
    ts = msg.ts  # type: ignore[attr-defined]
    return IngestRecord(
        tenant=tenant, location=location, device=device, kind=kind,
        received_at=ts + timedelta(milliseconds=40), payload=msg,  # type: ignore[arg-type]
    )  # fmt: skip


def _device_records(
    rng: random.Random, addr: tuple[str, str, str], start: datetime, plan: SeedPlan
) -> list[IngestRecord]:
    device = addr[2]
    out = [_record(*addr, TopicKind.STATUS, DeviceStatus(
        message_id=_uuid7(rng, start), ts=start, state="online", since=start,
        firmware="1.4.2", hardware="rpi5", config_version=3,
    ))]  # fmt: skip
    end = start + timedelta(hours=plan.hours)
    t = start + timedelta(seconds=plan.health_every_s)
    while t < end:
        out.append(_record(*addr, TopicKind.HEALTH, HealthReport(
            message_id=_uuid7(rng, t), ts=t, cpu_percent=round(rng.uniform(5, 95), 2),
            memory_percent=round(rng.uniform(20, 80), 2), disk_percent=41.0,
            temperature_c=round(rng.uniform(40, 75), 1), uptime_s=(t - start).total_seconds(),
            fps=round(rng.uniform(4, 6), 2), inference_ms_p50=round(rng.uniform(8, 12), 2),
            inference_ms_p95=round(rng.uniform(14, 30), 2), queue_depth=rng.randint(0, 4),
        )))  # fmt: skip
        if rng.random() < 0.3:
            out.extend(_break(rng, addr, t))
        t += timedelta(seconds=plan.health_every_s)
    period = timedelta(hours=1)
    p = start
    while p + period <= end:
        ad = round(rng.uniform(120, 900), 1)
        out.append(_record(*addr, TopicKind.TELEMETRY, TelemetryPeriod(
            message_id=_uuid7(rng, p + period), ts=p + period, period_start=p,
            period_end=p + period, frames_captured=18000, frames_analysed=17900,
            frames_dropped=100, ad_seconds=ad, content_seconds=3600 - ad, breaks=3,
            mean_confidence=0.91,
        )))  # fmt: skip
        p += period
    if device.endswith("-0"):  # its Last Will arrives after everything else it sent
        last = max(r.payload.ts for r in out) + timedelta(minutes=1)
        out.append(_record(*addr, TopicKind.STATUS, DeviceStatus(
            message_id=_uuid7(rng, last), ts=last, state="offline", since=last,
            firmware="1.4.2", hardware="rpi5", reason="lwt",
        )))  # fmt: skip
    return out


def _break(rng: random.Random, addr: tuple[str, str, str], t: datetime) -> list[IngestRecord]:
    break_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    source = rng.choice(CHANNELS)
    length = timedelta(seconds=round(rng.uniform(30, 240), 1))
    started = AdBreakStarted(
        message_id=_uuid7(rng, t),
        ts=t,
        break_id=break_id,
        source=source,
        started_at=t,
        confidence=0.93,
        action="mute",
        controller="cec",
        model_version="m-2026.11",
    )
    ended = AdBreakEnded(
        message_id=_uuid7(rng, t + length),
        ts=t + length,
        break_id=break_id,
        source=source,
        started_at=t,
        ended_at=t + length,
        confidence=0.95,
        action="mute",
        controller="cec",
        model_version="m-2026.11",
    )
    return [_record(*addr, TopicKind.AD_EVENTS, m) for m in (started, ended)]


def addresses(plan: SeedPlan) -> list[tuple[str, str, str]]:
    return [
        (f"tenant-{t}", f"venue-{t}-{loc}", f"tv-{t}-{loc}-{d}")
        for t in range(plan.tenants)
        for loc in range(plan.locations)
        for d in range(plan.devices)
    ]


def demo_records(plan: SeedPlan, now: datetime) -> list[IngestRecord]:
    """All records of the plan, ending at ``plan.end`` (or ``now``), sorted by time."""
    end = (plan.end or now).replace(microsecond=0)
    start = end - timedelta(hours=plan.hours)
    rng = random.Random(plan.seed)
    out: list[IngestRecord] = []
    for addr in addresses(plan):
        out.extend(_device_records(rng, addr, start, plan))
    out.sort(key=lambda r: (r.payload.ts, str(r.payload.message_id)))
    return out
