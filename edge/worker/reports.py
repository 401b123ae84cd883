"""Health and telemetry reports: system sampling (psutil) and the pure report builders."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from schemas.messages import HealthReport, TelemetryPeriod


@dataclass(frozen=True, slots=True)
class SystemSample:
    cpu_percent: float
    memory_percent: float
    disk_percent: float
    temperature_c: float | None


def sample_system(disk_path: Path) -> SystemSample:
    """CPU since the previous call, memory, disk of the outbox volume, a temperature."""
    import psutil

    probe = disk_path if disk_path.exists() else disk_path.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return SystemSample(
        cpu_percent=float(psutil.cpu_percent(interval=None)),
        memory_percent=float(psutil.virtual_memory().percent),
        disk_percent=float(psutil.disk_usage(str(probe)).percent),
        temperature_c=_temperature(),
    )


def _temperature() -> float | None:
    import psutil

    read = getattr(psutil, "sensors_temperatures", None)
    if read is None:
        return None
    try:
        sensors = read()
    except OSError:
        return None
    for entries in sensors.values():
        for entry in entries:
            if -60.0 <= entry.current <= 200.0:
                return float(entry.current)
    return None


@dataclass(frozen=True, slots=True)
class Counters:
    """A snapshot of the pipeline's cumulative counters."""

    frames_captured: int = 0
    frames_analysed: int = 0
    frames_dropped: int = 0
    ad_seconds: float = 0.0
    content_seconds: float = 0.0


@dataclass
class Period:
    """What happened since the last telemetry report (breaks and their confidences)."""

    start: datetime
    counters: Counters
    breaks: int = 0
    confidences: list[float] = field(default_factory=list)


def _clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def health_report(
    system: SystemSample,
    uptime_s: float,
    fps: float,
    inference_ms: list[float],
    queue_depth: int,
) -> HealthReport:
    p50 = p95 = 0.0
    if inference_ms:
        arr = np.asarray(inference_ms)
        p50, p95 = float(np.percentile(arr, 50)), float(np.percentile(arr, 95))
    return HealthReport.new(
        cpu_percent=_clamp(system.cpu_percent),
        memory_percent=_clamp(system.memory_percent),
        disk_percent=_clamp(system.disk_percent),
        temperature_c=system.temperature_c,
        uptime_s=max(0.0, uptime_s),
        fps=max(0.0, fps),
        inference_ms_p50=p50,
        inference_ms_p95=p95,
        queue_depth=max(0, queue_depth),
    )


def telemetry_report(period: Period, now: Counters, end: datetime) -> TelemetryPeriod:
    was = period.counters
    conf = period.confidences
    return TelemetryPeriod.new(
        period_start=period.start,
        period_end=max(end, period.start),
        frames_captured=max(0, now.frames_captured - was.frames_captured),
        frames_analysed=max(0, now.frames_analysed - was.frames_analysed),
        frames_dropped=max(0, now.frames_dropped - was.frames_dropped),
        ad_seconds=max(0.0, now.ad_seconds - was.ad_seconds),
        content_seconds=max(0.0, now.content_seconds - was.content_seconds),
        breaks=period.breaks,
        mean_confidence=min(1.0, max(0.0, sum(conf) / len(conf))) if conf else None,
    )


class Uptime:
    def __init__(self) -> None:
        self._t0 = time.monotonic()

    def seconds(self) -> float:
        return time.monotonic() - self._t0
