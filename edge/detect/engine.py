"""The public streaming interface of the detector.

A caller (the worker, ``detect``, ``eval``) feeds *every* captured frame to
:meth:`DetectionEngine.process` with its source time; the engine samples frames
internally at ``sample_fps``, computes features, scores them with the ONNX model
and runs the pure temporal state machine (:mod:`edge.detect.decide`). It returns
:class:`BreakStarted` as soon as a break is decided (bounded lag) and
:class:`BreakEnded` with the retroactively corrected start when it ends.

``process`` is CPU-bound and synchronous: asyncio callers run it in a thread.
An engine instance is not thread-safe; use one per source.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from edge.detect.errors import DetectError, ModelError, SourceError
from edge.detect.events import AudioFeatures, Break, BreakEnded, BreakEvent, BreakStarted

__all__ = [
    "AudioFeatures",
    "Break",
    "BreakEnded",
    "BreakEvent",
    "BreakStarted",
    "DetectError",
    "DetectSettings",
    "DetectionEngine",
    "InferenceStats",
    "ModelError",
    "SourceError",
    "detect_file",
]


@dataclass(frozen=True, slots=True)
class DetectSettings:
    """Detector settings; every field can change live via ``update_settings``.

    Attributes:
        sample_fps: frames per second analysed (others are skipped cheaply).
        threshold: ad probability above which a sample counts as "ad".
        hysteresis: a break starts above ``threshold + hysteresis/2`` and ends
            below ``threshold - hysteresis/2``.
        start_window_s: how long the smoothed score must stay high before a
            start is decided (bounds the live decision lag from below).
        end_window_s: how long it must stay low before the end is decided.
        min_break_s: breaks shorter than this are dropped from offline results
            (live, a started break is always ended so the TV gets restored).
        max_break_s: an open break is force-ended after this long.
        lookback_s: how far back the start/end may be corrected retroactively.
        logo_warmup_s: no break is decided before the logo mask had this long
            to learn (the first seconds of a source are assumed programme).
    """

    sample_fps: float = 5.0
    threshold: float = 0.5
    hysteresis: float = 0.2
    start_window_s: float = 1.6
    end_window_s: float = 2.0
    min_break_s: float = 20.0
    max_break_s: float = 480.0
    lookback_s: float = 30.0
    logo_warmup_s: float = 20.0

    def validate(self) -> None:
        """Raise DetectError on an inconsistent combination of fields."""
        if not 0.5 <= self.sample_fps <= 30.0:
            raise DetectError(f"sample_fps must be in [0.5, 30], got {self.sample_fps}")
        if not 0.0 < self.threshold < 1.0:
            raise DetectError(f"threshold must be in (0, 1), got {self.threshold}")
        if not 0.0 <= self.hysteresis < 2 * min(self.threshold, 1 - self.threshold):
            raise DetectError("hysteresis must keep both thresholds inside (0, 1)")
        if not 0 < self.min_break_s < self.max_break_s:
            raise DetectError("need 0 < min_break_s < max_break_s")
        if self.start_window_s <= 0 or self.end_window_s <= 0 or self.lookback_s <= 0:
            raise DetectError("windows and lookback must be positive")

    def with_changes(self, **changes: float) -> DetectSettings:
        """Return a validated copy with some fields changed."""
        new = replace(self, **changes)
        new.validate()
        return new


@dataclass(frozen=True, slots=True)
class InferenceStats:
    """Model inference time over the most recent samples (milliseconds)."""

    count: int
    p50_ms: float
    p95_ms: float
    last_ms: float


class DetectionEngine:
    """Frames in, break events out. See the module docstring."""

    def __init__(self, settings: DetectSettings, model_path: Path | None = None) -> None:
        import cv2

        from edge.detect.decide import DecideConfig, initial_state
        from edge.detect.features import FeatureExtractor
        from edge.detect.model import load_model

        settings.validate()
        cv2.setNumThreads(1)  # per-sample work is small; thread fan-out only adds overhead
        self._settings = settings
        self._model = load_model(model_path)
        self.model_version: str = self._model.version
        self._features = FeatureExtractor(sample_fps=settings.sample_fps)
        self._decide_cfg = DecideConfig.from_settings(settings)
        self._state = initial_state()
        self._next_sample_t: float | None = None
        self._inference_ms: list[float] = []
        self.last_inference_ms: float = 0.0
        self.samples_analysed: int = 0
        self.frames_seen: int = 0

    @property
    def settings(self) -> DetectSettings:
        return self._settings

    def update_settings(self, settings: DetectSettings) -> None:
        """Apply new settings live; feature history and an open break are kept."""
        from edge.detect.decide import DecideConfig

        settings.validate()
        self._settings = settings
        self._features.set_sample_fps(settings.sample_fps)
        self._decide_cfg = DecideConfig.from_settings(settings)

    def wants_frame(self, t_s: float) -> bool:
        """True if the frame at ``t_s`` would be analysed (lets callers skip decoding)."""
        return self._next_sample_t is None or t_s + 1e-6 >= self._next_sample_t

    def process(
        self, frame_bgr: np.ndarray | None, t_s: float, audio: AudioFeatures | None = None
    ) -> list[BreakEvent]:
        """Feed one captured frame. ``frame_bgr`` may be None for a frame the
        caller skipped decoding because :meth:`wants_frame` returned False."""
        self.frames_seen += 1
        if not self.wants_frame(t_s):
            return []
        if frame_bgr is None:
            raise DetectError(f"frame at t={t_s:.3f}s is due for sampling but was not decoded")
        step = 1.0 / self._settings.sample_fps
        self._next_sample_t = (self._next_sample_t or t_s) + step
        if self._next_sample_t <= t_s:  # a gap in the source: resynchronise
            self._next_sample_t = t_s + step
        return self._analyse(frame_bgr, t_s, audio)

    def _analyse(
        self, frame_bgr: np.ndarray, t_s: float, audio: AudioFeatures | None
    ) -> list[BreakEvent]:
        from edge.detect.decide import next_state

        obs = self._features.observe(frame_bgr, t_s, audio)
        started = time.perf_counter()
        p_ad = self._model.predict(obs.vector)
        self.last_inference_ms = (time.perf_counter() - started) * 1000.0
        self._inference_ms.append(self.last_inference_ms)
        if len(self._inference_ms) > 4096:
            del self._inference_ms[:2048]
        self.samples_analysed += 1
        sample = obs.to_sample(p_ad, warm=t_s >= self._settings.logo_warmup_s)
        self._state, events = next_state(self._state, sample, self._decide_cfg)
        return events

    def flush(self, t_s: float) -> list[BreakEvent]:
        """End of source at ``t_s``: close an open break."""
        from edge.detect.decide import finish

        self._state, events = finish(self._state, t_s, self._decide_cfg)
        return events

    def inference_stats(self) -> InferenceStats:
        """p50/p95 of model inference time over recent samples."""
        if not self._inference_ms:
            return InferenceStats(0, 0.0, 0.0, 0.0)
        arr = np.asarray(self._inference_ms)
        return InferenceStats(
            count=len(arr),
            p50_ms=float(np.percentile(arr, 50)),
            p95_ms=float(np.percentile(arr, 95)),
            last_ms=self.last_inference_ms,
        )


def detect_file(
    path: Path, settings: DetectSettings | None = None, model_path: Path | None = None
) -> list[Break]:
    """Offline detection on a file: every finished break of at least ``min_break_s``."""
    from edge.detect.runner import run_file

    return run_file(path, settings or DetectSettings(), model_path).breaks
