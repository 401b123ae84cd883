"""Drive a DetectionEngine over a file (stub; filled in next)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edge.detect.engine import DetectSettings
from edge.detect.events import Break, BreakEvent


@dataclass
class RunResult:
    breaks: list[Break]
    events: list[BreakEvent] = field(default_factory=list)


def run_file(path: Path, settings: DetectSettings, model_path: Path | None) -> RunResult:
    raise NotImplementedError
