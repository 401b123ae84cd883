"""Drive a DetectionEngine over a video file (OpenCV decode, PyAV audio).

Frames the engine will not sample are only ``grab()``-ed (demuxed and decoded
but not converted to BGR), which keeps detection close to decode-only cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edge.detect.decide import DecideConfig, keep_break, merge_breaks
from edge.detect.engine import DetectionEngine, DetectSettings, InferenceStats
from edge.detect.errors import SourceError
from edge.detect.events import Break, BreakEnded, BreakEvent, BreakStarted

MERGE_GAP_S = 8.0  # offline: programme shorter than this between two breaks is noise
TRUNCATION_TOLERANCE = 0.98  # frames read / frames announced below this = stopped mid-stream


@dataclass
class RunResult:
    breaks: list[Break]
    events: list[BreakEvent] = field(default_factory=list)
    duration_s: float = 0.0
    frames: int = 0
    wall_s: float = 0.0
    inference: InferenceStats | None = None
    model_version: str = ""

    @property
    def starts(self) -> list[BreakStarted]:
        return [e for e in self.events if isinstance(e, BreakStarted)]


def _open(path: Path) -> tuple[object, float, int]:
    import cv2

    if not path.exists():
        raise SourceError(f"no such file: {path}")
    if not path.is_file():
        raise SourceError(f"not a regular file: {path}")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise SourceError(f"cannot open video {path}: unknown container or codec")
    fps = float(cap.get(cv2.CAP_PROP_FPS)) or 0.0
    if not 1.0 <= fps <= 240.0:
        cap.release()
        raise SourceError(f"video {path} reports an unusable frame rate {fps}")
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    return cap, fps, count


def offline_breaks(events: list[BreakEvent], cfg: DecideConfig) -> list[Break]:
    """Finished breaks of at least ``min_break_s``, short gaps merged."""
    ended = [e for e in events if isinstance(e, BreakEnded)]
    raw = [Break(e.start_s, e.end_s, e.confidence) for e in ended if keep_break(e, cfg)]
    return merge_breaks(raw, MERGE_GAP_S)


def run_file(
    path: Path,
    settings: DetectSettings,
    model_path: Path | None,
    on_event: Callable[[BreakEvent], None] | None = None,
    max_seconds: float | None = None,
) -> RunResult:
    """Run the engine over every frame of ``path``; raise SourceError on bad input.

    ``max_seconds`` stops after that much source time (benchmarks); the
    truncation check is then skipped."""
    from edge.detect.audio import decode_audio

    engine = DetectionEngine(settings, model_path)
    started = time.perf_counter()
    cap, fps, announced = _open(path)
    audio = decode_audio(path, max_seconds)
    limit = int(max_seconds * fps) if max_seconds else None
    span = 1.0 / settings.sample_fps
    events: list[BreakEvent] = []
    i = 0
    try:
        while (limit is None or i < limit) and cap.grab():  # type: ignore[attr-defined]
            t = i / fps
            i += 1
            if not engine.wants_frame(t):
                engine.process(None, t)
                continue
            ok, frame = cap.retrieve()  # type: ignore[attr-defined]
            if not ok or frame is None:
                raise SourceError(f"{path}: frame {i} cannot be decoded")
            new = engine.process(frame, t, audio.at(t, span) if audio else None)
            for ev in new:
                if on_event:
                    on_event(ev)
            events.extend(new)
    finally:
        cap.release()  # type: ignore[attr-defined]
    if i == 0:
        raise SourceError(f"{path}: no frame could be decoded (unsupported codec?)")
    if limit is None and announced > 0 and i < announced * TRUNCATION_TOLERANCE:
        raise SourceError(
            f"{path}: source stopped mid-stream after {i} of {announced} frames ({i / fps:.1f} s)"
        )
    duration = i / fps
    for ev in engine.flush(duration):
        if on_event:
            on_event(ev)
        events.append(ev)
    cfg = DecideConfig.from_settings(engine.settings)
    return RunResult(
        breaks=offline_breaks(events, cfg),
        events=events,
        duration_s=duration,
        frames=i,
        wall_s=time.perf_counter() - started,
        inference=engine.inference_stats(),
        model_version=engine.model_version,
    )
