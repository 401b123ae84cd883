"""Placeholder messages for tests that need a valid one but not particular values."""

from __future__ import annotations

from typing import Any

from schemas.messages import HealthReport

_HEALTH = {
    "cpu_percent": 1,
    "memory_percent": 1,
    "disk_percent": 1,
    "uptime_s": 1,
    "fps": 25,
    "inference_ms_p50": 1,
    "inference_ms_p95": 2,
    "queue_depth": 0,
}


def health_report(**overrides: Any) -> HealthReport:
    """A valid HealthReport (new id and timestamp); pass the fields a test cares about."""
    return HealthReport.new(**{**_HEALTH, **overrides})
