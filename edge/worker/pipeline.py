"""The capture + detection thread: every frame is grabbed, sampled frames are decoded and
fed to the detection engine, and its break events are handed to the event loop.

The engine is CPU-bound and not thread-safe, so this thread alone owns it; settings
changes and restarts arrive as requests that the thread applies between frames.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np
import structlog

from edge.detect.engine import (
    AudioFeatures,
    BreakEnded,
    BreakEvent,
    BreakStarted,
    DetectError,
    DetectSettings,
)
from edge.worker.capture import VideoSource
from edge.worker.config import DetectSection, SourceSection
from edge.worker.errors import CaptureError

log = structlog.get_logger(__name__)
MAX_FILE_AUDIO_S = 1800.0  # longer files are analysed without audio (memory on small boxes)


class AudioLevels(Protocol):
    def at(self, t_s: float, span_s: float) -> AudioFeatures: ...


def file_audio(source: VideoSource, url: str) -> AudioLevels | None:
    """The decoded audio track of a file source (OpenCV gives no audio), or None.

    Live sources (V4L2, RTSP...) are analysed on video alone.
    """
    if source.kind != "file" or source.duration_s > MAX_FILE_AUDIO_S:
        return None
    from pathlib import Path

    from edge.detect.audio import decode_audio

    try:
        return decode_audio(Path(url))
    except DetectError as exc:
        log.warning("file_audio_unavailable", url=url, error=str(exc))
        return None


class Detector(Protocol):
    model_version: str

    def wants_frame(self, t_s: float) -> bool: ...
    def process(
        self, frame_bgr: np.ndarray | None, t_s: float, audio: AudioFeatures | None = None
    ) -> list[BreakEvent]: ...
    def flush(self, t_s: float) -> list[BreakEvent]: ...
    def update_settings(self, settings: DetectSettings) -> None: ...


DetectorFactory = Callable[[DetectSettings], Detector]


def detect_settings(section: DetectSection, threshold: float | None = None) -> DetectSettings:
    """Engine settings from the config section (+ a downlink threshold override)."""
    changes = {
        name: value
        for name in (
            "threshold",
            "sample_fps",
            "min_break_s",
            "max_break_s",
            "logo_warmup_s",
            "start_window_s",
            "end_window_s",
        )
        if (value := getattr(section, name)) is not None
    }
    if threshold is not None:
        changes["threshold"] = threshold
    return DetectSettings().with_changes(**changes)


@dataclass
class PipelineStats:
    """Counters shared with the event loop (read under ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    frames_captured: int = 0
    frames_analysed: int = 0
    frames_dropped: int = 0
    ad_seconds: float = 0.0
    content_seconds: float = 0.0
    last_t: float = 0.0
    in_break: bool = False
    inference_ms: list[float] = field(default_factory=list)
    model_version: str = ""
    running: bool = False
    restarts: int = 0


@dataclass(frozen=True, slots=True)
class Detected:
    """A break event with the wall-clock origin of its media times."""

    event: BreakEvent
    origin: datetime

    def wall(self, t_s: float) -> datetime:
        return self.origin + timedelta(seconds=t_s)


class Pipeline(threading.Thread):
    def __init__(
        self,
        source_cfg: SourceSection,
        settings: DetectSettings,
        factory: DetectorFactory,
        emit: Callable[[Detected], None],
    ) -> None:
        super().__init__(name="adwatch-pipeline", daemon=True)
        self._source_cfg = source_cfg
        self._settings = settings
        self._factory = factory
        self._emit = emit
        self.stats = PipelineStats()
        self.stopping = threading.Event()
        self._restart = threading.Event()
        self._pending: DetectSettings | None = None
        self._lock = threading.Lock()
        self.error: BaseException | None = None
        self.finished = threading.Event()

    def update_settings(self, settings: DetectSettings) -> None:
        with self._lock:
            self._pending = settings

    def request_restart(self) -> None:
        self._restart.set()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self._restart.clear()
                if not self._run_once():
                    break
                with self.stats.lock:
                    self.stats.restarts += 1
        except CaptureError as exc:
            if not self.stopping.is_set():
                self.error = exc
                log.error("pipeline_capture_failed", error=str(exc))
        except BaseException as exc:  # the loop must learn why the thread died
            self.error = exc
            log.exception("pipeline_crashed")
        finally:
            with self.stats.lock:
                self.stats.running = False
            self.finished.set()

    def _run_once(self) -> bool:
        """One pipeline life; True to start again (restart command), False when done."""
        detector = self._factory(self._settings)
        source = VideoSource(self._source_cfg, self.stopping)
        origin = self._source_cfg.start_time or datetime.now(UTC)
        with self.stats.lock:
            self.stats.model_version = detector.model_version
            self.stats.running = True
        source.open()
        audio = file_audio(source, self._source_cfg.url)
        t = 0.0
        try:
            while not self.stopping.is_set() and not self._restart.is_set():
                self._apply_pending(detector)
                grabbed = source.grab()
                if grabbed is None:
                    if source.kind == "file" and not self._source_cfg.loop:
                        break
                    source.open()  # loop a file, reconnect a live source
                    continue
                self._on_frame(detector, source, audio, (grabbed, t), origin)
                t = grabbed
        finally:
            source.close()
            self._send(detector.flush(t), origin)
        return self._restart.is_set() and not self.stopping.is_set()

    def _apply_pending(self, detector: Detector) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            detector.update_settings(pending)
            self._settings = pending
            log.info("detect_settings_applied", threshold=pending.threshold)

    def _on_frame(
        self,
        detector: Detector,
        source: VideoSource,
        audio: AudioLevels | None,
        times: tuple[float, float],
        origin: datetime,
    ) -> None:
        t, prev_t = times
        frame = None
        due = detector.wants_frame(t)
        if due:
            frame = source.retrieve()
        with self.stats.lock:
            s = self.stats
            s.frames_captured += 1
            dt = max(0.0, t - prev_t)
            if s.in_break:
                s.ad_seconds += dt
            else:
                s.content_seconds += dt
            s.last_t = t
            if due and frame is None:
                s.frames_dropped += 1
        if due and frame is None:
            return
        levels = None
        if due and audio is not None:
            levels = audio.at(source.local_t(t), 1.0 / self._settings.sample_fps)
        events = detector.process(frame, t, levels)
        if due:
            last_ms = getattr(detector, "last_inference_ms", None)
            with self.stats.lock:
                self.stats.frames_analysed += 1
                if isinstance(last_ms, float):
                    self.stats.inference_ms.append(last_ms)
        self._send(events, origin)

    def _send(self, events: list[BreakEvent], origin: datetime) -> None:
        for event in events:
            with self.stats.lock:
                self.stats.in_break = isinstance(event, BreakStarted)
            log.info("break_event", kind=type(event).__name__, break_id=event.break_id)
            self._emit(Detected(event, origin))


__all__ = ["BreakEnded", "BreakStarted", "Detected", "Pipeline", "PipelineStats"]
